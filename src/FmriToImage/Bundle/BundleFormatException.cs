namespace FmriToImage.Bundle;

/// <summary>
/// A bundle file is malformed or unsafe: invalid JSON, a required field missing or of the wrong type, or a path that
/// leaves the bundle folder (absolute, <c>..</c>, or a link pointing outside). Names the file and the field.
/// </summary>
public sealed class BundleFormatException : FmriToImageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The bundle file concerned.</param>
    /// <param name="message">What is wrong, with the expected and the actual value.</param>
    /// <param name="innerException">The parser's exception, if any.</param>
    public BundleFormatException(string filePath, string message, Exception? innerException = null)
        : base($"{filePath}: {message}", innerException)
    {
        FilePath = filePath;
    }

    /// <summary>The bundle file concerned.</summary>
    public string FilePath { get; }
}
