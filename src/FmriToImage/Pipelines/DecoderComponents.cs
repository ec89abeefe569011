using FmriToImage.Bundle;
using FmriToImage.Diffusion;
using FmriToImage.Imaging;
using FmriToImage.Models;

namespace FmriToImage.Pipelines;

/// <summary>
/// The networks of a bundle wrapped once for the pipelines, with the latent geometry and scheduler configs they share,
/// the <see cref="PipelineTable"/> that says what each pipeline needs, and the <see cref="Denoising"/> service. Checked
/// at construction by <see cref="ComponentValidation"/>; components a bundle lacks are null and the pipelines that need
/// them unavailable.
/// </summary>
/// <remarks>Thread-safe after construction: the wrappers are, and the denoising service gives each loop its own.</remarks>
internal sealed class DecoderComponents : IDisposable
{
    private readonly Lock _emptyCaptionLock = new();
    private EmptyCaptionEncoding? _emptyCaption;

    /// <summary>
    /// Wraps the bundle's networks and checks them, listing every problem in one <see cref="BundleContractException"/>
    /// (<see cref="ComponentValidation"/>).
    /// </summary>
    public DecoderComponents(ModelBundle bundle, PipelineTable table)
    {
        Bundle = bundle;
        Table = table;
        VoxelEncoders = ModelLoader.VoxelEncoders(bundle);
        Subjects = ModelLoader.SubjectMappings(bundle, out var sharedSpace);
        SharedSpace = sharedSpace;
        RepetitionDefault = bundle.Decoder switch
        {
            { RepetitionAveraging: "voxels" } or { IsShared: false } or null => Reconstructions.RepetitionAveraging.Voxels,
            _ => Reconstructions.RepetitionAveraging.Outputs,
        };
        VaeDecoder = bundle.VaeDecoder is null ? null : ModelLoader.VaeDecoder(bundle, table);
        VaeEncoder = bundle.VaeEncoder is null ? null : ModelLoader.VaeEncoder(bundle, table);
        ImageEncoder = bundle.ImageEncoder is null || !bundle.HasFile(BundleLayout.ImageEncoderPreprocessor) ? null : ModelLoader.ImageEncoder(bundle, table);
        TextEncoder = bundle.TextEncoder is null ? null : ModelLoader.TextEncoder(bundle, table);
        Captioner = bundle.CaptionerVision is null || bundle.CaptionerDecoder is null || !bundle.HasFile(BundleLayout.CaptionerPreprocessor) ? null : ModelLoader.Captioner(bundle, table);
        (LatentHeight, LatentWidth) = VaeDecoder is null ? (0, 0) : ComponentValidation.LatentSize(bundle, VaeDecoder, VoxelEncoders);
        TokenWidth = (int?)bundle.Unet?.ConfigNumber("cross_attention_dim");

        var problems = new List<string>();
        SchedulerConfig = ComponentValidation.UnetScheduler(bundle, problems);
        PipelineSchedulers = ComponentValidation.PipelineSchedulers(bundle, table, problems);
        PriorSchedulerConfig = bundle.Prior is null ? null : ComponentValidation.PriorScheduler(bundle, table, problems);
        var unetTokenWidth = ComponentValidation.CheckDenoisers(this, problems);
        Conditions = UnetConditions.Load(bundle, unetTokenWidth is null ? UNetAddedInputs.None : UNetAddedInputs.Read(bundle.Unet!.Session, bundle.Unet.Config), problems);
        Denoising = new Denoising(this, unetTokenWidth ?? TokenWidth);
        ComponentValidation.CheckDefaults(this, problems);
        ComponentValidation.CheckEmbeddingWidths(this, problems);
        ComponentValidation.CheckCaptionerInput(this, problems);
        Generator = ComponentValidation.Generator(this, problems);
        if (problems.Count > 0)
        {
            Denoising.Dispose();
            throw new BundleContractException(bundle.RootPath, problems);
        }

        AvailablePipelines = Table.Rows.Where(r => MissingFor(r) is null).Select(r => r.Pipeline).ToArray();
    }

    public ModelBundle Bundle { get; }

    /// <summary>What each pipeline needs, and the class that runs it.</summary>
    public PipelineTable Table { get; }

    /// <summary>The pipelines of <see cref="Table"/> this bundle has everything for.</summary>
    public IReadOnlyList<Reconstructions.ReconstructionPipeline> AvailablePipelines { get; }

    public IReadOnlyList<VoxelEncoder> VoxelEncoders { get; }

    /// <summary>Format 2: each subject's mapping into the shared space, keyed by id in manifest order; empty for format 1.</summary>
    public IReadOnlyDictionary<string, SubjectMapping> Subjects { get; }

    /// <summary>Format 2: the shared space's targets (M × H, row-major) and their image ids, or null when the manifest names none.</summary>
    public (float[] Targets, long[] ImageIds)? SharedSpace { get; }

    /// <summary>The bundle's repetition rule (format 1: voxels; format 2: <c>repetition_averaging</c>, default outputs).</summary>
    public Reconstructions.RepetitionAveraging RepetitionDefault { get; }

    /// <summary>The high-level voxel encoder (role <c>image_tokens</c>; the first when several), or null when the bundle has none.</summary>
    public VoxelEncoder? HighLevelEncoder => VoxelEncoders.FirstOrDefault(e => e.Entry.Role == VoxelEncoderRole.ImageTokens);

    /// <summary>The low-level voxel encoders (role <c>vae_latent</c>), in manifest order.</summary>
    public IEnumerable<VoxelEncoder> LowLevelEncoders => VoxelEncoders.Where(e => e.Entry.Role == VoxelEncoderRole.VaeLatent);

    /// <summary>The VAE decoder, or null when the bundle has none (no pipeline is then available; the latent size is 0).</summary>
    public VaeDecoder? VaeDecoder { get; }

    public ClipImageEncoder? ImageEncoder { get; }

    /// <summary>The VAE encoder (images → scaled latents: MindEye2's refinement), or null when the bundle has none.</summary>
    public VaeEncoder? VaeEncoder { get; }

    public ClipTextEncoder? TextEncoder { get; }

    public Captioner? Captioner { get; }

    /// <summary>The one-shot generator (<c>generator/model.onnx</c>), or null when the bundle has none.</summary>
    public ImageGenerator? Generator { get; }

    /// <summary>The UNet's scheduler (<c>scheduler/scheduler_config.json</c>, the class its <c>_class_name</c> names), or null when the bundle has none (no diffusion pipeline is then available; ClipGenerator needs none).</summary>
    public BundleScheduler? SchedulerConfig { get; }

    /// <summary>The diffusion prior's scheduler (<c>prior/scheduler_config.json</c>), or null when the bundle has no prior.</summary>
    public DdimSchedulerConfig? PriorSchedulerConfig { get; }

    /// <summary>The pipelines' scheduler overrides (<c>pipelines.&lt;key&gt;.scheduler</c> over the bundle's config), by manifest key.</summary>
    public IReadOnlyDictionary<string, BundleScheduler> PipelineSchedulers { get; }

    /// <summary>The scheduler <paramref name="row"/>'s pipeline runs: its override when the manifest gives one, else the bundle's (null when the bundle has none).</summary>
    public BundleScheduler? SchedulerFor(PipelineRequirement row) =>
        PipelineSchedulers.TryGetValue(row.ManifestKey, out var scheduler) ? scheduler : SchedulerConfig;

    /// <summary>Where <see cref="SchedulerFor"/>'s scheduler comes from, for messages.</summary>
    public string SchedulerSource(PipelineRequirement row) =>
        PipelineSchedulers.ContainsKey(row.ManifestKey)
            ? $"{ModelBundle.DecoderManifestFileName} pipelines.{row.ManifestKey}.scheduler over {ModelBundle.SchedulerConfigPath}"
            : ModelBundle.SchedulerConfigPath;

    /// <summary>The conditioning-token voxel encoder (role <c>conditioning_tokens</c>; the first when several), or null when the bundle has none.</summary>
    public VoxelEncoder? ConditioningEncoder => VoxelEncoders.FirstOrDefault(e => e.Entry.Role == VoxelEncoderRole.ConditioningTokens);

    /// <summary>Whether the bundle has a diffusion prior.</summary>
    public bool HasPrior => PriorSchedulerConfig is not null;

    /// <summary>The UNet's added-condition inputs and what fills them (none for a plain SD UNet).</summary>
    public UnetConditions Conditions { get; }

    /// <summary>The denoising loops (UNet and prior), each with wrappers of its own.</summary>
    public Denoising Denoising { get; }

    public int LatentChannels => VaeDecoder?.LatentChannels ?? 0;

    public int LatentHeight { get; }

    public int LatentWidth { get; }

    public int LatentLength => LatentChannels * LatentHeight * LatentWidth;

    /// <summary>The UNet config's <c>cross_attention_dim</c>, or null.</summary>
    public int? TokenWidth { get; }

    /// <summary>
    /// The text encoder's token states of the empty caption (the unconditional conditioning of caption → img2img),
    /// encoded once per decoder, by the first caller and under its <paramref name="cancellationToken"/>, and kept for
    /// the decoder's life. Concurrent first callers wait for that one encoding; a cancelled encoding keeps nothing, so
    /// the next caller encodes again.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled during the encoding.</exception>
    public ReadOnlySpan<float> EmptyCaptionStates(CancellationToken cancellationToken) => EmptyCaption(cancellationToken).States;

    /// <summary>
    /// The text encoder's pooled embedding of the empty caption (the unconditional <c>text_embeds</c> of an SDXL UNet),
    /// empty when the bundle has no text encoder or it has no pooled output; encoded with <see cref="EmptyCaptionStates"/>.
    /// </summary>
    public ReadOnlySpan<float> EmptyCaptionPooled(CancellationToken cancellationToken) =>
        TextEncoder is null ? [] : EmptyCaption(cancellationToken).Pooled;

    private EmptyCaptionEncoding EmptyCaption(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _emptyCaption) is { } encoded)
        {
            return encoded;
        }

        lock (_emptyCaptionLock)
        {
            if (_emptyCaption is null)
            {
                var encoding = TextEncoder!.Encode([string.Empty], cancellationToken);
                _emptyCaption = new EmptyCaptionEncoding(encoding.HiddenStates.Release(), encoding.Embeddings?.Release() ?? []);
            }

            return _emptyCaption;
        }
    }

    /// <summary>The width E of the high-level voxel encoder's <c>image_embedding</c> when its graph fixes it, else null.</summary>
    public int? BrainEmbeddingWidth =>
        (int?)ComponentValidation.FixedWidth(Bundle.VoxelEncoders.FirstOrDefault(v => v.Entry.Role == VoxelEncoderRole.ImageTokens)?.Component.Session, "image_embedding");

    /// <summary>The first thing <paramref name="row"/> needs that the bundle lacks, or null when it can run (the table's report).</summary>
    public string? MissingFor(PipelineRequirement row)
    {
        var missing = PipelineTable.MissingFor(Bundle, row);
        return missing.Count > 0 ? missing[0]
            : row.Runner.MissingForStages(this, DefaultsFor(row)) ?? MissingUnetInput(row);
    }

    /// <summary>
    /// An added UNet input that <paramref name="row"/>'s pipeline cannot fill (<see cref="PipelineRequirement.FilledUnetInputs"/>),
    /// so it is unavailable instead of failing at its first UNet step: Vis-Dec's <c>time_embedding_term</c> comes only
    /// from the Conditioned pipeline's encoder, unCLIP's <c>class_labels</c> need the brain's image embedding.
    /// </summary>
    private string? MissingUnetInput(PipelineRequirement row)
    {
        var inputs = Conditions.Inputs;
        if (!row.UsesDiffusion || Bundle.Unet is null)
        {
            return null;
        }

        if (inputs.TimeEmbeddingTermWidth is not null && !row.Fills(UNetAddedInputs.TimeEmbeddingTerm))
        {
            return $"{Bundle.Unet.RelativePath} takes '{UNetAddedInputs.TimeEmbeddingTerm}', which only a conditioning_tokens encoder gives, and {row.Name} runs none";
        }

        return inputs.ClassLabelsWidth is not null && !row.Fills(UNetAddedInputs.ClassLabels)
            ? $"{Bundle.Unet.RelativePath} takes '{UNetAddedInputs.ClassLabels}' (an image embedding), which {row.Name} does not predict"
            : null;
    }

    /// <summary>The bundle's defaults for the pipeline of <paramref name="row"/>, or library defaults when the manifest has none.</summary>
    public PipelineDefaults DefaultsFor(PipelineRequirement row) =>
        Bundle.Decoder?.Pipelines.GetValueOrDefault(row.ManifestKey) ?? new PipelineDefaults();

    /// <summary>
    /// The added conditions of one loop of <paramref name="request"/>'s pipeline over <paramref name="batch"/> images
    /// (<see cref="UnetConditions.For"/>), or null when the UNet takes none; the empty caption is encoded only when the
    /// UNet takes <c>text_embeds</c>.
    /// </summary>
    public Models.AddedConditions? ConditionsFor(ResolvedRequest request, int batch, float[]? pooled, float[]? imageEmbeddings, string stage, CancellationToken cancellationToken)
    {
        if (!Conditions.Inputs.Any)
        {
            return null;
        }

        var factor = VaeDecoder!.DownsamplingFactor;
        var emptyPooled = Conditions.Inputs.TextEmbedsWidth is null ? [] : EmptyCaptionPooled(cancellationToken);
        return Conditions.For(DefaultsFor(request.Row), batch, LatentHeight * factor, LatentWidth * factor, pooled, emptyPooled, imageEmbeddings, request.Seed, stage, Bundle.RootPath);
    }

    /// <summary>Decodes scaled latents [batch, C, h, w] to images.</summary>
    public RgbImage[] DecodeImages(ReadOnlySpan<float> latents, int batch, CancellationToken cancellationToken) =>
        VaeDecoder!.DecodeImages(latents, batch, LatentHeight, LatentWidth, ImageNormalization.SignedUnit, cancellationToken);

    /// <summary>The image embeddings [count × E] of <paramref name="images"/>, and E.</summary>
    public (float[] Embeddings, int Dimension) EmbedImages(IReadOnlyList<RgbImage> images, CancellationToken cancellationToken)
    {
        var encoding = ImageEncoder!.Encode(images, cancellationToken);
        var embeddings = encoding.Embeddings
            ?? throw new BundleContractException(Bundle.RootPath, ["image_encoder/model.onnx: voting and best-of-N selection need its 'image_embeds' output."]);
        return (embeddings.Release(), (int)embeddings.Lengths[1]);
    }

    /// <summary>
    /// Best-of-N selection against the brain: the index of the image of <paramref name="images"/> whose image embedding
    /// is closest (cosine) to trial <paramref name="trial"/>'s row of <paramref name="targets"/> (trials × E, the voxel
    /// encoder <paramref name="model"/>'s <c>image_embedding</c>); every image's score goes to <paramref name="scores"/>.
    /// </summary>
    /// <exception cref="BundleContractException">The two embeddings differ in width.</exception>
    public int SelectClosestToBrain(IReadOnlyList<RgbImage> images, float[] targets, int trial, int trials, string model, Span<float> scores, CancellationToken cancellationToken)
    {
        var (embeddings, dimension) = EmbedImages(images, cancellationToken);
        if (dimension * trials != targets.Length)
        {
            throw new BundleContractException(Bundle.RootPath, [$"voxel encoder '{model}': 'image_embedding' has {targets.Length / trials} values but the image encoder's 'image_embeds' has {dimension}; they must live in one space to compare."]);
        }

        return EnsembleVoting.SelectClosest(targets.AsSpan(trial * dimension, dimension), embeddings, dimension, scores);
    }

    /// <summary>Releases the denoising wrappers (the sessions belong to the bundle). Idempotent.</summary>
    public void Dispose() => Denoising.Dispose();

    /// <summary>The empty caption's token states and pooled embedding (empty when the text encoder has none).</summary>
    private sealed record EmptyCaptionEncoding(float[] States, float[] Pooled);
}
