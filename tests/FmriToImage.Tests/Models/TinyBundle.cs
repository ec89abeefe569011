using FmriToImage.Bundle;

namespace FmriToImage.Tests.Models;

/// <summary>The tiny fixture bundle (tests/fixtures/make_bundle.py), opened once for a test class.</summary>
public sealed class TinyBundle : IDisposable
{
    internal ModelBundle Bundle { get; } = ModelBundle.Open(TestFiles.Fixture("bundle", "tiny"));

    public void Dispose() => Bundle.Dispose();
}
