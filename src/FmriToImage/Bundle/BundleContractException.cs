namespace FmriToImage.Bundle;

/// <summary>
/// One or more of a bundle's ONNX graphs do not fit the contract the pipelines rely on (input/output names, element
/// types, ranks, fixed dimensions such as the voxel count, latent shape and token width) or disagree with each other or
/// with the configs. Every mismatch found is listed, not just the first.
/// </summary>
public sealed class BundleContractException : FmriToImageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="bundlePath">The bundle folder.</param>
    /// <param name="problems">Each mismatch: the file, the input or output, the expected and the actual value.</param>
    public BundleContractException(string bundlePath, IReadOnlyList<string> problems)
        : base($"Bundle '{bundlePath}' does not fit the model contract ({problems.Count} problem{(problems.Count == 1 ? "" : "s")}):{Environment.NewLine}" +
               string.Join(Environment.NewLine, problems.Select(p => "  - " + p)))
    {
        BundlePath = bundlePath;
        Problems = problems;
    }

    /// <summary>The bundle folder.</summary>
    public string BundlePath { get; }

    /// <summary>Each mismatch, one sentence each.</summary>
    public IReadOnlyList<string> Problems { get; }
}
