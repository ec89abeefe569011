using FmriToImage.Onnx;
using Microsoft.Extensions.Logging;

namespace FmriToImage.Bundle;

/// <summary>How <see cref="ModelBundle.Open"/> treats a bundle.</summary>
public sealed record ModelBundleOptions
{
    /// <summary>
    /// Open every component's session in <see cref="ModelBundle.Open"/> and check all contracts there (default true), so a
    /// bad export fails at load. When false, sessions open on first use and their contracts are checked then
    /// (<see cref="ModelBundle.Validate"/> forces the full check at any time).
    /// </summary>
    public bool OpenSessionsEagerly { get; init; } = true;

    /// <summary>Check every file's sha256 against <c>fmri_decoder.json</c> (default true; large exports take seconds).</summary>
    public bool VerifyChecksums { get; init; } = true;

    /// <summary>The options every component session is created with.</summary>
    public OrtSessionOptions SessionOptions { get; init; } = OrtSessionOptions.Default;

    /// <summary>Where the bundle and its sessions report (execution provider fallbacks, lazy opens), or null.</summary>
    public ILogger? Logger { get; init; }
}
