namespace FmriToImage.Reconstructions;

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

    /// <summary>Samples per bagged model (caption → img2img), per trial (unCLIP best-of-N) or noise draws per trial (ClipGenerator best-of-K), or null for the bundle's default.</summary>
    public int? Samples { get; init; }

    /// <summary>
    /// Seeds all diffusion noise: the same seed gives the same images. The UNet's noise stream starts at this seed;
    /// the diffusion prior's at <c>Seed ^ 0x7072696F72</c> ("prior" in ASCII), so the two never share numbers within a
    /// reconstruction (docs/pipelines.md).
    /// </summary>
    public ulong Seed { get; init; }

    /// <summary>DDIM η (0 = deterministic DDIM, the default).</summary>
    public float Eta { get; init; }

    /// <summary>
    /// unCLIP: whether the bundle's diffusion prior turns the brain tokens into the image tokens the UNet is
    /// conditioned on. Null (the default) uses the prior when the bundle has one; true requires one (a bundle without
    /// raises <see cref="Bundle.BundleComponentMissingException"/>); false skips it. Caption → img2img has no prior:
    /// null or false only. <see cref="Reconstruction.Request"/> records what was done.
    /// </summary>
    public bool? UsePrior { get; init; }

    /// <summary>DDIM steps of the prior loop, or null for the bundle's <c>prior_steps</c> (default 20). Recorded as null when no prior ran.</summary>
    public int? PriorSteps { get; init; }

    /// <summary>DDIM η of the prior loop, or null for the bundle's <c>prior_eta</c> (default 0). Recorded as null when no prior ran.</summary>
    public float? PriorEta { get; init; }

    /// <summary>
    /// The subject whose voxels these are, e.g. "subj03" (<see cref="BrainDecoder.Subjects"/>). Required for a
    /// shared-subject bundle of several subjects; null takes the bundle's only subject. A subject the bundle does not
    /// list is refused by name (<see cref="ArgumentException"/>, listing the bundle's subjects). Recorded.
    /// </summary>
    public string? Subject { get; init; }

    /// <summary>
    /// How the repeats of one image are combined (<see cref="BrainDecoder.ReconstructRepeats"/>), or null for the
    /// bundle's rule (<see cref="BrainDecoder.RepetitionAveraging"/>). Recorded.
    /// </summary>
    public RepetitionAveraging? RepetitionAveraging { get; init; }
}
