namespace FmriToImage.Samples.Reconstruct;

/// <summary>A command-line value the job cannot use: exit 2, the message naming the option.</summary>
/// <param name="option">The option, e.g. <c>--image-ids</c>.</param>
/// <param name="problem">What is wrong with its value.</param>
internal sealed class UsageException(string option, string problem) : Exception($"{option}: {problem}")
{
    /// <summary>The option concerned.</summary>
    public string Option { get; } = option;
}
