namespace FmriToImage.Data.Hdf5;

/// <summary>
/// A dataset read as numbers holds elements that are not numbers: compound, enum (h5py's bool), string, array,
/// opaque, variable-length, reference, bitfield or time elements, or integers/floats of an unusual size. Names the
/// file, the dataset, the type class found and the types that are read.
/// </summary>
internal sealed class Hdf5TypeNotNumericException : FmriToImageException
{
    /// <summary>The element types a dataset may hold to be read as float, in words.</summary>
    public const string Supported = "integers of 1, 2, 4 or 8 bytes (signed or unsigned) and IEEE floats of 2, 4 or 8 bytes, either byte order";

    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The HDF5 file.</param>
    /// <param name="datasetPath">The dataset, e.g. <c>/betas</c>.</param>
    /// <param name="found">The element type found, in words, e.g. "compound (HDF5 class 6), 12 bytes".</param>
    public Hdf5TypeNotNumericException(string filePath, string datasetPath, string found)
        : base($"{filePath}: {datasetPath} holds {found} elements, which cannot be read as numbers; supported: {Supported}")
    {
        FilePath = filePath;
        DatasetPath = datasetPath;
        Found = found;
    }

    /// <summary>The HDF5 file.</summary>
    public string FilePath { get; }

    /// <summary>The dataset.</summary>
    public string DatasetPath { get; }

    /// <summary>The element type found, in words.</summary>
    public string Found { get; }
}
