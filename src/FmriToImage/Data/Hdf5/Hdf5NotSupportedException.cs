namespace FmriToImage.Data.Hdf5;

/// <summary>
/// A valid HDF5 file uses a feature this managed reader does not implement. The message names the feature and an
/// <c>h5repack</c> command that rewrites the file into a form the reader supports.
/// </summary>
public sealed class Hdf5NotSupportedException : FmriToImageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The file.</param>
    /// <param name="feature">The unsupported feature, e.g. "extensible-array chunk index".</param>
    /// <param name="repackCommand">An h5repack invocation that converts the file, e.g. <c>h5repack -l /betas:CONTI in.h5 out.h5</c>.</param>
    public Hdf5NotSupportedException(string filePath, string feature, string repackCommand)
        : base($"{filePath}: {feature} is not supported by the managed HDF5 reader; convert the file with `{repackCommand}`")
    {
        FilePath = filePath;
        Feature = feature;
        RepackCommand = repackCommand;
    }

    /// <summary>The file.</summary>
    public string FilePath { get; }

    /// <summary>The unsupported feature.</summary>
    public string Feature { get; }

    /// <summary>The h5repack command that converts the file.</summary>
    public string RepackCommand { get; }
}
