namespace FmriToImage.Imaging;

/// <summary>A <c>preprocessor_config.json</c> is missing, is not valid JSON, or has a field of the wrong kind.</summary>
internal sealed class PreprocessorConfigException : MalformedFileException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="file">The config file (path or description).</param>
    /// <param name="detail">The field concerned, what was expected and what was found.</param>
    /// <param name="innerException">An underlying cause, such as a JSON error.</param>
    public PreprocessorConfigException(string file, string detail, Exception? innerException = null)
        : base(file, null, $"Preprocessor config {file}: {detail}", innerException)
    {
    }
}
