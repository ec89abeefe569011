namespace FmriToImage;

/// <summary>
/// Settings of one reconstruction. Every setting left null takes the bundle's default for the pipeline
/// (<c>fmri_decoder.json</c> → <c>pipelines</c>), so a request built with <c>new()</c> reproduces the bundle's choice.
/// </summary>
public sealed record ReconstructionRequest
{
    /// <summary>The method (default <see cref="ReconstructionPipeline.CaptionImg2Img"/>).</summary>
    public ReconstructionPipeline Pipeline { get; init; } = ReconstructionPipeline.CaptionImg2Img;

    /// <summary>DDIM steps, or null for the bundle's default.</summary>
    public int? Steps { get; init; }

    /// <summary>img2img strength in [0, 1] (1 = from pure noise), or null for the bundle's default.</summary>
    public double? Strength { get; init; }

    /// <summary>Classifier-free guidance scale (≤ 1 disables guidance), or null for the bundle's default.</summary>
    public double? Guidance { get; init; }

    /// <summary>Samples per bagged model (caption → img2img) or per trial (unCLIP best-of-N), or null for the bundle's default.</summary>
    public int? Samples { get; init; }

    /// <summary>Seeds all diffusion noise: the same seed gives the same images.</summary>
    public ulong Seed { get; init; }

    /// <summary>DDIM η (0 = deterministic DDIM, the default).</summary>
    public float Eta { get; init; }
}
