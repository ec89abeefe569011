namespace FmriToImage;

/// <summary>
/// A file this library reads is malformed: truncated, a wrong magic number or signature, impossible header fields,
/// sizes that do not fit the file, corrupt compressed data, text that is not valid JSON, or a field missing or of the
/// wrong type. The one exception for every format (bundle and evaluation-bundle JSON, NIfTI, NumPy <c>.npy</c>, HDF5,
/// PNG and JPEG images, scheduler, preprocessor and tokenizer configs); it carries the file and, where the format has
/// one, the byte offset at which the problem was found.
/// </summary>
/// <remarks>
/// A valid file that uses a feature this library does not implement raises a different exception that says what to do
/// instead (for HDF5, <see cref="Data.Hdf5.Hdf5NotSupportedException"/> with the command that converts the file); a
/// file larger than a read may allocate raises <see cref="Data.DataSizeLimitException"/>.
/// </remarks>
public class MalformedFileException : FmriToImageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="file">The file concerned: its path, or a name for bytes that have none.</param>
    /// <param name="offset">The byte offset at which the problem was found, or <c>null</c> where none is meaningful.</param>
    /// <param name="message">The whole message: the file, what was expected and what was found.</param>
    /// <param name="innerException">The underlying cause (a parser's or decompressor's exception), if any.</param>
    public MalformedFileException(string file, long? offset, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        File = file;
        Offset = offset;
    }

    /// <summary>The file concerned: its path, or a name for bytes that have none (a stream, a config given as text).</summary>
    public string File { get; }

    /// <summary>
    /// The byte offset in the file at which the problem was found (in the decompressed stream for a gzip file), or
    /// <c>null</c> when the problem has no position (a missing field, a file that does not exist).
    /// </summary>
    public long? Offset { get; }
}
