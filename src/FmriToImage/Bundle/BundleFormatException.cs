namespace FmriToImage.Bundle;

/// <summary>
/// A bundle file is malformed or unsafe: invalid JSON, a required field missing or of the wrong type, or a path that
/// leaves the bundle folder (absolute, <c>..</c>, or a link pointing outside). Names the file and the field.
/// </summary>
internal sealed class BundleFormatException : MalformedFileException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The bundle file concerned.</param>
    /// <param name="message">What is wrong, with the expected and the actual value.</param>
    /// <param name="innerException">The parser's exception, if any.</param>
    /// <param name="offset">The byte offset of the problem in the file, when it has one (a JSON syntax error).</param>
    public BundleFormatException(string filePath, string message, Exception? innerException = null, long? offset = null)
        : base(filePath, offset, $"{filePath}: {message}", innerException)
    {
    }
}
