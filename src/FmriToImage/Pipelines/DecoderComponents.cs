using FmriToImage.Bundle;
using FmriToImage.Diffusion;
using FmriToImage.Models;

namespace FmriToImage.Pipelines;

/// <summary>
/// The networks of a bundle wrapped once for the pipelines, with the latent geometry and scheduler config they
/// share. Built by <see cref="BrainDecoder"/>; components a bundle lacks are null and the pipelines that need them are
/// unavailable.
/// </summary>
internal sealed class DecoderComponents
{
    public DecoderComponents(ModelBundle bundle)
    {
        Bundle = bundle;
        VoxelEncoders = VoxelEncoder.FromBundle(bundle);
        VaeDecoder = VaeDecoder.FromBundle(bundle);
        ImageEncoder = bundle.ImageEncoder is null ? null : ClipImageEncoder.FromBundle(bundle);
        TextEncoder = bundle.TextEncoder is null ? null : ClipTextEncoder.FromBundle(bundle);
        Captioner = bundle.CaptionerVision is null || bundle.CaptionerDecoder is null ? null : Captioner.FromBundle(bundle);
        SchedulerConfig = DdimSchedulerConfig.FromJson(File.ReadAllText(bundle.ResolvePath("scheduler/scheduler_config.json")));
        (LatentHeight, LatentWidth) = LatentSize(bundle, VaeDecoder, VoxelEncoders);
        TokenWidth = (int?)bundle.Unet?.ConfigNumber("cross_attention_dim");
        PriorSchedulerConfig = bundle.Prior is null ? null : CheckedPriorScheduler(bundle, DefaultsFor(ReconstructionPipeline.Unclip));
    }

    public ModelBundle Bundle { get; }

    public IReadOnlyList<VoxelEncoder> VoxelEncoders { get; }

    public VaeDecoder VaeDecoder { get; }

    public ClipImageEncoder? ImageEncoder { get; }

    public ClipTextEncoder? TextEncoder { get; }

    public Captioner? Captioner { get; }

    public DdimSchedulerConfig SchedulerConfig { get; }

    public int LatentChannels => VaeDecoder.LatentChannels;

    public int LatentHeight { get; }

    public int LatentWidth { get; }

    public int LatentLength => LatentChannels * LatentHeight * LatentWidth;

    public int? TokenWidth { get; }

    /// <summary>The diffusion prior's scheduler (<c>prior/scheduler_config.json</c>), or null when the bundle has no prior.</summary>
    public DdimSchedulerConfig? PriorSchedulerConfig { get; }

    /// <summary>Whether the bundle has a diffusion prior.</summary>
    public bool HasPrior => PriorSchedulerConfig is not null;

    /// <summary>The prior's noise seed for a request seed: the seed XOR "prior" in ASCII, so its stream never is the UNet's.</summary>
    public static ulong PriorSeed(ulong seed) => seed ^ 0x7072696F72UL;

    /// <summary>
    /// Runs the diffusion prior on <paramref name="trials"/> trials' brain tokens (trials × T × D) and returns the
    /// denoised image tokens; every trial draws its noise from its own stream seeded with
    /// <see cref="PriorSeed"/>(<paramref name="seed"/>), so a trial gets the same tokens alone or in a batch.
    /// </summary>
    public float[] RunPrior(float[] brainTokens, int trials, int steps, float eta, ulong seed, CancellationToken cancellationToken)
    {
        using var prior = new DiffusionPrior(Bundle.Prior!.Session, PriorSchedulerConfig!, TokenWidth);
        var noise = Enumerable.Range(0, trials).Select(_ => (INoiseSource)new GaussianNoiseSource(PriorSeed(seed))).ToArray();
        return prior.Sample(brainTokens, trials, steps, eta, noise, cancellationToken);
    }

    /// <summary>A UNet wrapper with its own bound buffers: one per reconstruction, so concurrent calls never share them.</summary>
    private UNet CreateUNet() =>
        new(Bundle.Unet!.Session, LatentChannels, LatentHeight, LatentWidth, TokenWidth);

    /// <summary>
    /// One trial's images: the request's denoising loop over <paramref name="batch"/> latents (img2img from
    /// <paramref name="initLatents"/> unless empty; noise from the request's seed) with a UNet wrapper of its own, so
    /// concurrent calls never share bound buffers, then the VAE decoding; laps "diffusion" and "decoding".
    /// </summary>
    public Imaging.RgbImage[] Generate(ReconstructionRequest request, int batch, float[] conditioning, float[] unconditioning, float[] initLatents, StageClock clock, CancellationToken cancellationToken)
    {
        float[] latents;
        using (var unet = CreateUNet())
        {
            var sampler = new Sampler(new DdimScheduler(SchedulerConfig), unet);
            latents = sampler.Sample(
                new DiffusionRequest
                {
                    BatchSize = batch,
                    LatentLength = LatentLength,
                    Noise = new GaussianNoiseSource(request.Seed),
                    Conditioning = conditioning,
                    UnconditionalConditioning = unconditioning,
                    InitLatents = initLatents,
                    NumInferenceSteps = request.Steps!.Value,
                    GuidanceScale = request.Guidance!.Value,
                    Strength = request.Strength!.Value,
                    Eta = request.Eta,
                },
                cancellationToken: cancellationToken);
        }

        clock.Lap("diffusion");
        var images = DecodeImages(latents, batch, cancellationToken);
        clock.Lap("decoding");
        return images;
    }

    /// <summary>The bundle's defaults for <paramref name="pipeline"/>, or library defaults when the manifest has none.</summary>
    public PipelineDefaults DefaultsFor(ReconstructionPipeline pipeline)
    {
        var key = pipeline == ReconstructionPipeline.CaptionImg2Img ? "caption_img2img" : "unclip";
        return Bundle.Decoder?.Pipelines.GetValueOrDefault(key) ?? new PipelineDefaults();
    }

    /// <summary>Decodes scaled latents [batch, C, h, w] to images.</summary>
    public Imaging.RgbImage[] DecodeImages(ReadOnlySpan<float> latents, int batch, CancellationToken cancellationToken) =>
        Imaging.ImageTensor.FromNchw(VaeDecoder.Decode(latents, batch, LatentHeight, LatentWidth, cancellationToken), Imaging.ImageNormalization.SignedUnit);

    /// <summary>The image embeddings [count × E] of <paramref name="images"/>, and E.</summary>
    public (float[] Embeddings, int Dimension) EmbedImages(IReadOnlyList<Imaging.RgbImage> images, CancellationToken cancellationToken)
    {
        var encoding = ImageEncoder!.Encode(images, cancellationToken);
        var embeddings = encoding.Embeddings
            ?? throw new BundleContractException(Bundle.RootPath, ["image_encoder/model.onnx: voting and best-of-N selection need its 'image_embeds' output."]);
        return (embeddings.ToArray(), (int)embeddings.Lengths[1]);
    }

    /// <summary>
    /// Reads the prior's scheduler config (the bundle layer knows no schedulers, so its values are checked here, at
    /// load) and checks the unCLIP defaults' prior steps and η against it, listing every problem at once.
    /// </summary>
    private static DdimSchedulerConfig CheckedPriorScheduler(ModelBundle bundle, PipelineDefaults defaults)
    {
        var problems = new List<string>();
        DdimSchedulerConfig? config = null;
        try
        {
            config = DiffusionPrior.ReadSchedulerConfig(bundle);
            _ = new DdimScheduler(config);
        }
        catch (Exception e) when (e is SchedulerConfigException or NotSupportedException or ArgumentException)
        {
            problems.Add($"{ModelBundle.PriorSchedulerConfigPath}: {e.Message}");
            config = null;
        }

        if (config is not null && (defaults.PriorSteps < 1 || defaults.PriorSteps > config.NumTrainTimesteps))
        {
            problems.Add($"{ModelBundle.DecoderManifestFileName}: pipelines.unclip.prior_steps is {defaults.PriorSteps}; it must lie in [1, {config.NumTrainTimesteps}] (num_train_timesteps of {ModelBundle.PriorSchedulerConfigPath}).");
        }

        if (!double.IsFinite(defaults.PriorEta) || defaults.PriorEta < 0)
        {
            problems.Add($"{ModelBundle.DecoderManifestFileName}: pipelines.unclip.prior_eta is {defaults.PriorEta}; it must be a finite number ≥ 0.");
        }

        return problems.Count == 0 ? config! : throw new BundleContractException(bundle.RootPath, problems);
    }

    private static (int Height, int Width) LatentSize(ModelBundle bundle, VaeDecoder vae, IReadOnlyList<VoxelEncoder> encoders)
    {
        // A low-level voxel encoder fixes the latent size it predicts; otherwise the VAE's sample size says it.
        foreach (var encoder in encoders.Where(e => e.Entry.Role == VoxelEncoderRole.VaeLatent))
        {
            var latent = bundle.VoxelEncoders.First(v => v.Entry.Name == encoder.Name).Component.Session.Outputs.First(o => o.Name == "latent");
            if (latent.Rank == 4 && latent.Dimensions[2] > 0 && latent.Dimensions[3] > 0)
            {
                return ((int)latent.Dimensions[2], (int)latent.Dimensions[3]);
            }
        }

        var size = bundle.VaeDecoder!.ConfigNumber("sample_size")
            ?? throw new BundleContractException(bundle.RootPath, ["vae_decoder/config.json: no 'sample_size', and no low-level voxel encoder fixes the latent size."]);
        return ((int)size / vae.DownsamplingFactor, (int)size / vae.DownsamplingFactor);
    }
}
