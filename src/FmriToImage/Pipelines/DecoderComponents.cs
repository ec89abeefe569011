using FmriToImage.Bundle;
using FmriToImage.Diffusion;
using FmriToImage.Models;
using FmriToImage.Onnx;

namespace FmriToImage.Pipelines;

/// <summary>
/// The networks of a bundle wrapped once for the pipelines, with the latent geometry and scheduler config they
/// share. Built by <see cref="BrainDecoder"/>; components a bundle lacks are null and the pipelines that need them are
/// unavailable.
/// </summary>
internal sealed class DecoderComponents
{
    /// <summary>
    /// Wraps the bundle's networks and checks, listing every problem in one <see cref="BundleContractException"/>:
    /// both scheduler configs, the manifest's pipeline defaults against them, the UNet and prior graphs against the
    /// latent size and token width (each wrapper is built once and disposed), and the embedding outputs the pipelines
    /// compare.
    /// </summary>
    public DecoderComponents(ModelBundle bundle)
    {
        Bundle = bundle;
        VoxelEncoders = VoxelEncoder.FromBundle(bundle);
        VaeDecoder = bundle.VaeDecoder is null ? null : VaeDecoder.FromBundle(bundle);
        ImageEncoder = bundle.ImageEncoder is null || !bundle.HasFile(ImageEncoderPreprocessor) ? null : ClipImageEncoder.FromBundle(bundle);
        TextEncoder = bundle.TextEncoder is null ? null : ClipTextEncoder.FromBundle(bundle);
        Captioner = bundle.CaptionerVision is null || bundle.CaptionerDecoder is null || !bundle.HasFile(CaptionerPreprocessor) ? null : Captioner.FromBundle(bundle);
        (LatentHeight, LatentWidth) = VaeDecoder is null ? (0, 0) : LatentSize(bundle, VaeDecoder, VoxelEncoders);
        TokenWidth = (int?)bundle.Unet?.ConfigNumber("cross_attention_dim");

        var problems = new List<string>();
        SchedulerConfig = CheckedScheduler(bundle, ModelBundle.SchedulerConfigPath, problems);
        PriorSchedulerConfig = bundle.Prior is null ? null : CheckedScheduler(bundle, ModelBundle.PriorSchedulerConfigPath, problems);
        CheckDenoisers(problems);
        CheckDefaults(problems);
        CheckEmbeddingWidths(problems);
        if (problems.Count > 0)
        {
            throw new BundleContractException(bundle.RootPath, problems);
        }
    }

    /// <summary>The image encoder's preprocessing; without it the encoder is unusable and the pipelines unavailable.</summary>
    public const string ImageEncoderPreprocessor = "image_encoder/preprocessor_config.json";

    /// <summary>The captioner's preprocessing; without it caption → img2img is unavailable.</summary>
    public const string CaptionerPreprocessor = "captioner/preprocessor_config.json";

    public ModelBundle Bundle { get; }

    public IReadOnlyList<VoxelEncoder> VoxelEncoders { get; }

    /// <summary>The high-level voxel encoder (role <c>image_tokens</c>; the first when several), or null when the bundle has none.</summary>
    public VoxelEncoder? HighLevelEncoder => VoxelEncoders.FirstOrDefault(e => e.Entry.Role == VoxelEncoderRole.ImageTokens);

    /// <summary>The VAE decoder, or null when the bundle has none (no pipeline is then available; the latent size is 0).</summary>
    public VaeDecoder? VaeDecoder { get; }

    public ClipImageEncoder? ImageEncoder { get; }

    public ClipTextEncoder? TextEncoder { get; }

    public Captioner? Captioner { get; }

    /// <summary>The UNet's scheduler (<c>scheduler/scheduler_config.json</c>), or null when the bundle has none (no pipeline is then available).</summary>
    public DdimSchedulerConfig? SchedulerConfig { get; }

    public int LatentChannels => VaeDecoder?.LatentChannels ?? 0;

    public int LatentHeight { get; }

    public int LatentWidth { get; }

    public int LatentLength => LatentChannels * LatentHeight * LatentWidth;

    public int? TokenWidth { get; }

    /// <summary>The UNet wrapper's token width (the graph's when it fixes one, else <see cref="TokenWidth"/>), read once by the load-time check; null without a UNet.</summary>
    private int? unetTokenWidth;

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
        using var prior = CreatePrior();
        var noise = Enumerable.Range(0, trials).Select(_ => (INoiseSource)new GaussianNoiseSource(PriorSeed(seed))).ToArray();
        return prior.Sample(brainTokens, trials, steps, eta, noise, cancellationToken);
    }

    /// <summary>A UNet wrapper with its own bound buffers: one per reconstruction, so concurrent calls never share them.</summary>
    private UNet CreateUNet() =>
        new(Bundle.Unet!.Session, LatentChannels, LatentHeight, LatentWidth, TokenWidth);

    /// <summary>
    /// A prior wrapper with its own bound buffers; its token width must be the UNet's (the config's
    /// <c>cross_attention_dim</c>, or the graph's when the UNet graph fixes it), whose conditioning it produces.
    /// </summary>
    private DiffusionPrior CreatePrior() =>
        new(Bundle.Prior!.Session, PriorSchedulerConfig!, unetTokenWidth ?? TokenWidth);

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
            var sampler = new Sampler(new DdimScheduler(SchedulerConfig!), unet);
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
        return Bundle.Decoder?.Pipelines.GetValueOrDefault(ManifestKey(pipeline)) ?? new PipelineDefaults();
    }

    /// <summary>Decodes scaled latents [batch, C, h, w] to images.</summary>
    public Imaging.RgbImage[] DecodeImages(ReadOnlySpan<float> latents, int batch, CancellationToken cancellationToken) =>
        Imaging.ImageTensor.FromNchw(VaeDecoder!.Decode(latents, batch, LatentHeight, LatentWidth, cancellationToken), Imaging.ImageNormalization.SignedUnit);

    /// <summary>The image embeddings [count × E] of <paramref name="images"/>, and E.</summary>
    public (float[] Embeddings, int Dimension) EmbedImages(IReadOnlyList<Imaging.RgbImage> images, CancellationToken cancellationToken)
    {
        var encoding = ImageEncoder!.Encode(images, cancellationToken);
        var embeddings = encoding.Embeddings
            ?? throw new BundleContractException(Bundle.RootPath, ["image_encoder/model.onnx: voting and best-of-N selection need its 'image_embeds' output."]);
        return (embeddings.ToArray(), (int)embeddings.Lengths[1]);
    }

    /// <summary>
    /// Reads and checks a scheduler config (the bundle layer knows no schedulers, so its values are checked here, at
    /// load): a malformed file, an unsupported schedule and out-of-range values become problems; a missing UNet
    /// scheduler config gives null (the pipelines then list it as missing).
    /// </summary>
    private static DdimSchedulerConfig? CheckedScheduler(ModelBundle bundle, string relativePath, List<string> problems)
    {
        try
        {
            if (relativePath == ModelBundle.PriorSchedulerConfigPath)
            {
                var prior = DiffusionPrior.ReadSchedulerConfig(bundle);
                _ = new DdimScheduler(prior);
                return prior;
            }

            if (!bundle.HasFile(relativePath))
            {
                return null;
            }

            var config = DdimSchedulerConfig.FromJson(bundle.ReadJson(relativePath));
            _ = new DdimScheduler(config);
            return config;
        }
        catch (Exception e) when (e is SchedulerConfigException or NotSupportedException or ArgumentException)
        {
            problems.Add($"{relativePath}: {e.Message}");
            return null;
        }
    }

    /// <summary>Builds (and disposes) one UNet and one prior wrapper, so their graph checks run at load; keeps the UNet's token width for the prior wrappers.</summary>
    private void CheckDenoisers(List<string> problems)
    {
        if (Bundle.Unet is not null && VaeDecoder is not null)
        {
            try
            {
                using var unet = CreateUNet();
                unetTokenWidth = unet.TokenWidth;
            }
            catch (TensorContractException e)
            {
                problems.Add(Prefixed("unet/model.onnx", e.Message));
                return; // the prior's width check needs a usable UNet
            }
        }

        if (PriorSchedulerConfig is not null)
        {
            try
            {
                CreatePrior().Dispose();
            }
            catch (TensorContractException e)
            {
                problems.Add(Prefixed("prior/model.onnx", e.Message));
            }
        }
    }

    /// <summary>Checks the manifest's pipeline defaults against the schedulers they run on.</summary>
    private void CheckDefaults(List<string> problems)
    {
        var manifest = ModelBundle.DecoderManifestFileName;
        foreach (var pipeline in Enum.GetValues<ReconstructionPipeline>())
        {
            var key = ManifestKey(pipeline);
            if (SchedulerConfig is null || Bundle.Decoder?.Pipelines.ContainsKey(key) != true)
            {
                continue;
            }

            var defaults = DefaultsFor(pipeline);
            foreach (var problem in DiffusionSettings.Check(SchedulerConfig, ModelBundle.SchedulerConfigPath, defaults.Steps, defaults.Strength, defaults.Guidance, defaults.Samples, eta: 0))
            {
                problems.Add(DiffusionSettings.Describe(problem, $"{manifest}: pipelines.{key}."));
            }
        }

        var unclip = DefaultsFor(ReconstructionPipeline.Unclip);
        foreach (var problem in DiffusionSettings.CheckPrior(PriorSchedulerConfig, ModelBundle.PriorSchedulerConfigPath, unclip.PriorSteps, unclip.PriorEta))
        {
            problems.Add(DiffusionSettings.Describe(problem, $"{manifest}: pipelines.unclip."));
        }
    }

    /// <summary>
    /// The high-level voxel encoder's <c>image_embedding</c> and the image encoder's <c>image_embeds</c> are compared in
    /// one space (unCLIP's best-of-N); when both graphs fix their width E, the widths must agree.
    /// </summary>
    private void CheckEmbeddingWidths(List<string> problems)
    {
        var imageEmbeds = FixedWidth(Bundle.ImageEncoder?.Session, "image_embeds");
        foreach (var encoder in Bundle.VoxelEncoders.Where(v => v.Entry.Role == VoxelEncoderRole.ImageTokens))
        {
            var brain = FixedWidth(encoder.Component.Session, "image_embedding");
            if (brain is not null && imageEmbeds is not null && brain != imageEmbeds)
            {
                problems.Add($"{encoder.Entry.File}: output 'image_embedding' has width {brain} but image_encoder/model.onnx output 'image_embeds' has {imageEmbeds}; they must live in one space to compare.");
            }
        }
    }

    /// <summary>The message with the file named first, once.</summary>
    private static string Prefixed(string file, string message) =>
        message.StartsWith(file, StringComparison.Ordinal) ? message : $"{file}: {message}";

    /// <summary>The width E of the high-level voxel encoder's <c>image_embedding</c> when its graph fixes it, else null.</summary>
    public int? BrainEmbeddingWidth =>
        (int?)FixedWidth(HighLevelComponent?.Component.Session, "image_embedding");

    /// <summary>The bundle's session and manifest entry behind <see cref="HighLevelEncoder"/>, or null.</summary>
    private VoxelEncoderComponent? HighLevelComponent => Bundle.VoxelEncoders.FirstOrDefault(v => v.Entry.Role == VoxelEncoderRole.ImageTokens);

    /// <summary>The fixed last dimension of a rank-2 output, or null when absent or symbolic.</summary>
    private static long? FixedWidth(GraphSession? session, string output) =>
        session?.Outputs.FirstOrDefault(o => o.Name == output) is { Rank: 2 } node && node.Dimensions[1] > 0 ? node.Dimensions[1] : null;

    /// <summary>The key of a pipeline in the manifest's <c>pipelines</c> object.</summary>
    public static string ManifestKey(ReconstructionPipeline pipeline) => pipeline switch
    {
        ReconstructionPipeline.CaptionImg2Img => "caption_img2img",
        ReconstructionPipeline.Unclip => "unclip",
        _ => throw new ArgumentOutOfRangeException(nameof(pipeline), pipeline, "not a defined ReconstructionPipeline"),
    };

    /// <summary>The bundle layer's name for a pipeline (what <see cref="ModelBundle.MissingFor"/> takes).</summary>
    public static BundlePipeline BundlePipelineOf(ReconstructionPipeline pipeline) => pipeline switch
    {
        ReconstructionPipeline.CaptionImg2Img => BundlePipeline.CaptionImg2Img,
        ReconstructionPipeline.Unclip => BundlePipeline.Unclip,
        _ => throw new ArgumentOutOfRangeException(nameof(pipeline), pipeline, "not a defined ReconstructionPipeline"),
    };

    /// <summary>
    /// What <paramref name="pipeline"/> needs beyond the bundle's files (outputs a graph may lack), or null: unCLIP
    /// selects with the high-level encoder's <c>image_embedding</c>; both pipelines score with the image encoder's
    /// <c>image_embeds</c>.
    /// </summary>
    public string? MissingOutputFor(ReconstructionPipeline pipeline)
    {
        if (SchedulerConfig is null)
        {
            return ModelBundle.SchedulerConfigPath;
        }

        if (pipeline == ReconstructionPipeline.Unclip
            && HighLevelComponent is { } high
            && !high.Component.Session.Outputs.Any(o => o.Name == "image_embedding"))
        {
            return $"{high.Entry.File}: output 'image_embedding'";
        }

        if (Bundle.ImageEncoder is not null && ImageEncoder is null)
        {
            return ImageEncoderPreprocessor;
        }

        if (pipeline == ReconstructionPipeline.CaptionImg2Img && Bundle.CaptionerVision is not null && Captioner is null)
        {
            return CaptionerPreprocessor;
        }

        if (Bundle.ImageEncoder is { } image && !image.Session.Outputs.Any(o => o.Name == "image_embeds"))
        {
            return "image_encoder/model.onnx: output 'image_embeds'";
        }

        return null;
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
