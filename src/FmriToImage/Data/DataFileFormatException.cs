namespace FmriToImage.Data;

/// <summary>
/// The base of the exceptions raised when a brain-data file (NIfTI, NumPy, HDF5) is malformed: truncated, with a
/// wrong magic number, impossible header fields, sizes that do not fit the file, corrupt compressed data or cyclic
/// structures. Carries the file and the byte offset at which the problem was found.
/// </summary>
internal abstract class DataFileFormatException : MalformedFileException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The file (or stream name) being read.</param>
    /// <param name="byteOffset">The byte offset in the file (in the decompressed stream for gzip files) where the problem was found.</param>
    /// <param name="message">What was expected and what was found.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    protected DataFileFormatException(string filePath, long byteOffset, string message, Exception? innerException = null)
        : base(filePath, byteOffset, $"{filePath}, byte offset {byteOffset}: {message}", innerException)
    {
    }
}
