namespace FmriToImage.Configuration;

/// <summary>
/// A config file being read: its name (a path, or what the caller calls a text) and how its reader reports a
/// <see cref="ConfigError"/> — each reader keeps its own exception type, so this is the one place it is chosen.
/// </summary>
/// <param name="name">The file's path or the text's name, for messages.</param>
/// <param name="toException">Turns an error into the exception the reader throws.</param>
internal sealed class ConfigSource(string name, Func<ConfigError, Exception> toException)
{
    /// <summary>The file's path or the text's name.</summary>
    public string Name { get; } = name;

    /// <summary>The exception for <paramref name="error"/>, to throw.</summary>
    public Exception Fail(ConfigError error) => toException(error);

    /// <summary>The exception for a problem without a position.</summary>
    public Exception Fail(string message, Exception? inner = null) => toException(new ConfigError(message, Inner: inner));
}
