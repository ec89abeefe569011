namespace FmriToImage.Data.Hdf5;

/// <summary>
/// A group, dataset or attribute asked for by name is not in the HDF5 file, or is of the other kind (a group where a
/// dataset was asked for). The message names the file, the path asked for and what exists there.
/// </summary>
internal sealed class Hdf5ObjectNotFoundException : FmriToImageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The HDF5 file.</param>
    /// <param name="objectPath">The path or attribute name asked for.</param>
    /// <param name="message">What was asked for and what exists instead.</param>
    public Hdf5ObjectNotFoundException(string filePath, string objectPath, string message)
        : base(message)
    {
        FilePath = filePath;
        ObjectPath = objectPath;
    }

    /// <summary>The HDF5 file.</summary>
    public string FilePath { get; }

    /// <summary>The path or attribute name asked for.</summary>
    public string ObjectPath { get; }
}
