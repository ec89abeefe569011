namespace FmriToImage.Configuration;

/// <summary>
/// What is wrong with a config file, before it becomes the exception its reader throws: the message (naming the key,
/// what was expected and what was found, but not the file) and, where known, the 1-based line and the byte offset.
/// </summary>
/// <param name="Message">The problem, without the file's name.</param>
/// <param name="Line">The 1-based line, when known.</param>
/// <param name="Offset">The byte offset in the file, when known.</param>
/// <param name="Inner">The exception that revealed the problem, if any.</param>
internal readonly record struct ConfigError(string Message, int? Line = null, long? Offset = null, Exception? Inner = null)
{
    /// <summary>The message as a sentence: ending in a full stop.</summary>
    public string Sentence => Message.EndsWith('.') ? Message : Message + ".";
}
