namespace FmriToImage.Data.Hdf5;

/// <summary>An HDF5 file is malformed: bad signature, truncated structures, addresses outside the file, impossible sizes, corrupt compressed chunks, checksum mismatches or cyclic structures.</summary>
internal sealed class Hdf5FormatException : DataFileFormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The file.</param>
    /// <param name="byteOffset">The file address where the problem was found.</param>
    /// <param name="message">What was expected and what was found.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public Hdf5FormatException(string filePath, long byteOffset, string message, Exception? innerException = null)
        : base(filePath, byteOffset, message, innerException)
    {
    }
}
