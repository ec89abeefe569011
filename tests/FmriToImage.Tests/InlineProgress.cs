namespace FmriToImage.Tests;

/// <summary>An <see cref="IProgress{T}"/> that reports on the calling thread and allocates nothing per report.</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
