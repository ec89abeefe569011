namespace FmriToImage.Data.Npy;

/// <summary>A NumPy <c>.npy</c> file is malformed or uses a feature this reader does not support (e.g. object arrays).</summary>
internal sealed class NpyFormatException : DataFileFormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The file (or stream name).</param>
    /// <param name="byteOffset">Where the problem was found.</param>
    /// <param name="message">What was expected and what was found.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public NpyFormatException(string filePath, long byteOffset, string message, Exception? innerException = null)
        : base(filePath, byteOffset, message, innerException)
    {
    }
}
