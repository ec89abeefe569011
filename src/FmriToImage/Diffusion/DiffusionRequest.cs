namespace FmriToImage.Diffusion;

/// <summary>
/// What one <see cref="Sampler"/> run produces: <see cref="BatchSize"/> latents of <see cref="LatentLength"/> floats,
/// from pure noise (text-to-image) or from <see cref="InitLatents"/> (img2img), optionally with classifier-free
/// guidance. Defaults are Stable Diffusion's pipeline defaults (50 steps, guidance 7.5, η 0, strength 0.8).
/// </summary>
public sealed record DiffusionRequest
{
    /// <summary>The number of latents generated together (N ≥ 1); each has its own conditioning block.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>Floats per latent (C·H·W, e.g. 4·64·64 for SD at 512²).</summary>
    public required int LatentLength { get; init; }

    /// <summary>The noise stream: initial latents (or img2img noise) first, then, when η &gt; 0, N·L values per step.</summary>
    public required INoiseSource Noise { get; init; }

    /// <summary>
    /// The conditioning of the N samples (N equal blocks, e.g. N×77×768 text embeddings); may be empty for an
    /// unconditional model, in which case the denoiser receives an empty span.
    /// </summary>
    public ReadOnlyMemory<float> Conditioning { get; init; }

    /// <summary>
    /// The unconditional ("negative prompt") conditioning, same length as <see cref="Conditioning"/>; required when
    /// <see cref="GuidanceScale"/> &gt; 1, ignored otherwise.
    /// </summary>
    public ReadOnlyMemory<float> UnconditionalConditioning { get; init; }

    /// <summary>
    /// img2img: the encoded, scaled start latents (N·L floats, e.g. VAE latents × 0.18215). Empty means text-to-image.
    /// </summary>
    public ReadOnlyMemory<float> InitLatents { get; init; }

    /// <summary>The inference step count n given to <see cref="IDiffusionScheduler.SetTimesteps"/> (default 50).</summary>
    public int NumInferenceSteps { get; init; } = 50;

    /// <summary>
    /// Classifier-free guidance scale g (default 7.5): output = uncond + g·(cond − uncond). At g ≤ 1 there is no
    /// unconditional half and the denoiser runs on the conditional batch only.
    /// </summary>
    public double GuidanceScale { get; init; } = 7.5;

    /// <summary>DDIM η ≥ 0 (default 0, deterministic); must be 0 for the other schedulers.</summary>
    public float Eta { get; init; }

    /// <summary>img2img strength in [0, 1] (default 0.8): the fraction of the schedule that is run. Ignored for text-to-image.</summary>
    public double Strength { get; init; } = 0.8;
}
