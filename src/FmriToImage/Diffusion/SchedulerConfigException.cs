namespace FmriToImage.Diffusion;

/// <summary>
/// A diffusers <c>scheduler_config.json</c> that cannot be read: not JSON, not an object, or a known key whose value
/// has the wrong JSON type. The message names the key, the expected and the actual value.
/// </summary>
/// <remarks>
/// A known key with a value this library does not implement (for example <c>"beta_schedule": "sigmoid"</c>) is not
/// malformed; it raises <see cref="NotSupportedException"/> instead.
/// </remarks>
internal sealed class SchedulerConfigException : MalformedFileException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What is wrong: the key, the expected and the actual value.</param>
    /// <param name="innerException">The JSON parser's exception, if any.</param>
    public SchedulerConfigException(string message, Exception? innerException = null)
        : base(FileName, null, message, innerException)
    {
    }

    /// <summary>
    /// What <see cref="MalformedFileException.File"/> holds: the config is parsed from text, so it is named by the file
    /// name diffusers gives it (a bundle that reads one from a file reports the path itself).
    /// </summary>
    internal const string FileName = "scheduler_config.json";
}
