namespace FmriToImage.Evaluation;

/// <summary>
/// An evaluation bundle is malformed: <c>evaluation.json</c> missing, not JSON, a field missing or of the wrong type, a
/// path leaving the folder, a file missing or with another SHA-256, or a graph without the input or outputs its
/// metrics need. Names the file and the field.
/// </summary>
internal sealed class EvaluationBundleException : MalformedFileException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The bundle file concerned.</param>
    /// <param name="message">What is wrong, with the expected and the actual value.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public EvaluationBundleException(string filePath, string message, Exception? innerException = null)
        : base(filePath, null, $"{filePath}: {message}", innerException)
    {
    }
}
