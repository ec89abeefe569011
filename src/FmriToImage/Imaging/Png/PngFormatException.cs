namespace FmriToImage.Imaging.Png;

/// <summary>
/// A PNG file could not be decoded: bad signature, CRC mismatch, truncated or corrupt image data, invalid header
/// values, dimensions beyond the decoder's limit, or an unknown critical chunk.
/// </summary>
/// <remarks>The message names the source, the chunk and the byte offset of the chunk within the file.</remarks>
internal sealed class PngFormatException : MalformedFileException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="source">File path or a description of the byte source.</param>
    /// <param name="chunk">Chunk type concerned (e.g. <c>IDAT</c>), or <c>null</c> for the signature.</param>
    /// <param name="offset">Byte offset in the file of the chunk's start (its length field), or of the problem.</param>
    /// <param name="detail">What was expected and what was found.</param>
    /// <param name="innerException">An underlying cause, such as a zlib error.</param>
    public PngFormatException(string source, string? chunk, long offset, string detail, Exception? innerException = null)
        : base(source, offset, $"PNG {source}: {(chunk is null ? "" : $"chunk {chunk} ")}at byte offset {offset}: {detail}", innerException)
    {
        Chunk = chunk;
    }

    /// <summary>The chunk type concerned, or <c>null</c> when the problem is in the signature.</summary>
    public string? Chunk { get; }
}
