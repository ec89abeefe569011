namespace FmriToImage.Imaging;

/// <summary>
/// An image file could not be read: not a PNG or JPEG, truncated or corrupt, or larger than the decoder accepts.
/// Names the file and what was found.
/// </summary>
internal sealed class ImageDecodeException : MalformedFileException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="source">The file (or a name for the bytes).</param>
    /// <param name="message">What is wrong.</param>
    /// <param name="innerException">The decoder's exception, if any.</param>
    public ImageDecodeException(string source, string message, Exception? innerException = null)
        : base(source, null, $"{source}: {message}", innerException)
    {
    }
}
