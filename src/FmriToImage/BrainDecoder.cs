using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using FmriToImage.Bundle;
using FmriToImage.Data;
using FmriToImage.Data.Atlas;
using FmriToImage.Data.Nifti;
using FmriToImage.Imaging;
using FmriToImage.Interpretation;
using FmriToImage.Models;
using FmriToImage.Onnx;
using FmriToImage.Pipelines;
using FmriToImage.Reconstructions;
using FmriToImage.Retrieval;

namespace FmriToImage;

/// <summary>
/// Reconstructs what a subject saw from one trial's voxels, with the networks of a model bundle:
/// <c>using var decoder = BrainDecoder.Load("models/demo"); var r = decoder.Reconstruct(voxels);</c>
/// </summary>
/// <remarks>
/// <para>
/// Every contract is checked at <see cref="Load"/> (bundle files, graphs, voxel count), so a bad export fails there;
/// voxel vectors are checked before any network runs (length, NaN/Inf).
/// </para>
/// <para>
/// Thread-safe: concurrent <see cref="Reconstruct"/> calls share the sessions and use their own buffers; the same seed
/// gives the same images whether calls run alone or together. Owns the bundle's sessions; <see cref="Dispose"/>
/// releases them.
/// </para>
/// </remarks>
public sealed class BrainDecoder : IDisposable
{
    private readonly DecoderComponents _components;
    private readonly int _trialBatchSize;

    private BrainDecoder(ModelBundle bundle, PipelineTable pipelines, int trialBatchSize)
    {
        Bundle = bundle;
        _trialBatchSize = trialBatchSize;
        _components = new DecoderComponents(bundle, pipelines);
    }

    /// <summary>The bundle the decoder runs (internal: users see <see cref="BundlePath"/> and <see cref="Networks"/>).</summary>
    internal ModelBundle Bundle { get; }

    /// <summary>The bundle folder's full path.</summary>
    public string BundlePath => Bundle.RootPath;

    /// <summary>The full path of the bundle's <c>fmri_decoder.json</c> (its sha256 identifies the bundle: the manifest lists every file's).</summary>
    public string ManifestPath => Path.Combine(Bundle.RootPath, ModelBundle.DecoderManifestFileName);

    /// <summary>The full path of the subject's nsdgeneral mask the manifest names (<c>masks.nsdgeneral</c>), or null when it names none.</summary>
    public string? NsdgeneralMaskPath => Bundle.Decoder!.Masks.Nsdgeneral is { } mask ? Bundle.ResolvePath(mask) : null;

    /// <summary>Every network of the bundle (the standard components, then the voxel encoders in manifest order) and where it runs.</summary>
    public IReadOnlyList<DecoderNetwork> Networks =>
        BundleLayout.StandardComponents.Select(c => Bundle.Get(c.Kind)).OfType<BundleComponent>()
            .Concat(Bundle.VoxelEncoders.Select(v => v.Component))
            .Select(c => new DecoderNetwork(c.Name, c.Kind, c.RelativePath, c.ExecutionProviders, c.ExecutionProviderFallbackReason))
            .ToArray();

    /// <summary>Whether <see cref="EmbedImage"/> and <see cref="EmbedImages"/> work: the bundle has an image encoder with its preprocessing.</summary>
    public bool CanEmbedImages => _components.ImageEncoder is not null;

    /// <summary>
    /// Why retrieval (<see cref="Retrieve"/> with <see cref="EmbedImage"/>'s index) cannot work with this bundle, decided
    /// from its graphs before anything runs, or null when it can: it needs an image encoder with its preprocessing
    /// (<see cref="CanEmbedImages"/>) and an <c>image_embeds</c> output, a voxel encoder with role <c>image_tokens</c>
    /// and an <c>image_embedding</c> output, and the two embeddings of one width where the graphs fix it.
    /// </summary>
    public string? RetrievalUnavailableReason
    {
        get
        {
            if (Bundle.ImageEncoder is not { } imageEncoder)
            {
                return "the bundle has no image encoder";
            }

            if (!CanEmbedImages)
            {
                return $"the bundle has no '{BundleLayout.ImageEncoderPreprocessor}', the image encoder's preprocessing";
            }

            if (!imageEncoder.OutputMetadata.ContainsKey("image_embeds"))
            {
                return $"{imageEncoder} has no 'image_embeds' output";
            }

            if (Bundle.VoxelEncoders.FirstOrDefault(v => v.Entry.Role == VoxelEncoderRole.ImageTokens) is not { } brain)
            {
                return "the bundle has no voxel encoder with role 'image_tokens'";
            }

            if (!brain.Component.OutputMetadata.ContainsKey("image_embedding"))
            {
                return $"{brain.Component} has no 'image_embedding' output";
            }

            var imageWidth = ComponentValidation.FixedWidth(imageEncoder.Session, "image_embeds");
            var brainWidth = ComponentValidation.FixedWidth(brain.Component.Session, "image_embedding");
            return imageWidth is not null && brainWidth is not null && imageWidth != brainWidth
                ? $"{brain.Component}'s image_embedding has {brainWidth} values, the image encoder's image_embeds {imageWidth}: they are not one space"
                : null;
        }
    }

    /// <summary>The subject the bundle decodes.</summary>
    public string Subject => Bundle.Decoder!.Subject;

    /// <summary>Voxels per trial the decoder expects (the subject's full vector, in the bundle's voxel order).</summary>
    public int VoxelCount => Bundle.Decoder!.VoxelCount;

    /// <summary>The pipelines this bundle has every component for.</summary>
    public IReadOnlyList<ReconstructionPipeline> AvailablePipelines => _components.AvailablePipelines;

    /// <summary>Whether the bundle has a diffusion prior (<c>prior/model.onnx</c>), which unCLIP then uses by default.</summary>
    public bool HasPrior => _components.HasPrior;

    /// <summary>Opens a bundle, checks it whole, and prepares its networks.</summary>
    /// <param name="bundlePath">The bundle folder (e.g. models/demo).</param>
    /// <param name="options">Execution provider, threads, logging; null for the defaults (CPU).</param>
    /// <returns>The decoder; dispose it.</returns>
    /// <exception cref="MalformedFileException">A bundle file is malformed or a path leaves the folder.</exception>
    /// <exception cref="BundleIntegrityException">A file's sha256 differs from the manifest's.</exception>
    /// <exception cref="BundleComponentMissingException">A file is missing, or the bundle has no brain part (<c>fmri_decoder.json</c>).</exception>
    /// <exception cref="BundleContractException">Graphs or configs do not fit the contract (every problem listed).</exception>
    /// <exception cref="ExecutionProviderUnavailableException">CUDA was required and could not be used.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="BrainDecoderOptions.TrialBatchSize"/> is below 1.</exception>
    public static BrainDecoder Load(string bundlePath, BrainDecoderOptions? options = null)
    {
        options ??= new BrainDecoderOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.TrialBatchSize, 1, nameof(options.TrialBatchSize));
        var pipelines = options.Pipelines ?? PipelineTable.Default;
        var bundle = ModelBundle.Open(bundlePath, pipelines.Naming(new ModelBundleOptions
        {
            ExecutionProvider = options.ExecutionProvider,
            IntraOpThreads = options.IntraOpThreads,
            ConfigureSession = options.ConfigureSession,
            Settings = options.SessionSettings,
            VerifyChecksums = options.VerifyChecksums,
            Logger = options.Logger,
        }));
        try
        {
            if (bundle.Decoder is null)
            {
                throw new BundleComponentMissingException(bundle.RootPath, ModelBundle.DecoderManifestFileName, pipelines.Names);
            }

            return new BrainDecoder(bundle, pipelines, options.TrialBatchSize);
        }
        catch
        {
            bundle.Dispose();
            throw;
        }
    }

    /// <summary>Reconstructs the image seen in one trial.</summary>
    /// <param name="voxels"><see cref="VoxelCount"/> values (e.g. z-scored betas, repetitions averaged), in the bundle's voxel order.</param>
    /// <param name="request">Pipeline and settings; null for the bundle's defaults with caption → img2img.</param>
    /// <param name="cancellationToken">Cancels between and during network runs.</param>
    /// <returns>The chosen image with its low-level images, captions, candidates, scores and timings.</returns>
    /// <exception cref="VoxelCountMismatchException">The vector's length is not <see cref="VoxelCount"/>.</exception>
    /// <exception cref="NonFiniteValueException">A voxel is NaN or infinite.</exception>
    /// <exception cref="BundleComponentMissingException">The bundle lacks a component the pipeline needs (or the prior <see cref="ReconstructionRequest.UsePrior"/> asks for).</exception>
    /// <exception cref="ArgumentOutOfRangeException">A request setting is out of range (every one is named, with its value and range: steps within the scheduler's <c>num_train_timesteps</c>, strength in [0, 1], finite guidance, samples ≥ 1, η ≥ 0, prior steps and η), or the pipeline is not one this decoder runs; the parameter named is <c>request</c>.</exception>
    /// <exception cref="ArgumentException">A request setting does not apply to the pipeline (<see cref="ReconstructionRequest.UsePrior"/> on caption → img2img).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="OrtException">A network run failed in the runtime (e.g. out of memory); nothing the checks above can foresee.</exception>
    /// <exception cref="BundleContractException">Only with graphs whose embedding widths are dynamic: the high-level encoder's <c>image_embedding</c> and the image encoder's <c>image_embeds</c> turned out to differ in width (fixed widths are compared at <see cref="Load"/>).</exception>
    /// <exception cref="ObjectDisposedException">The decoder was disposed.</exception>
    public Reconstruction Reconstruct(ReadOnlySpan<float> voxels, ReconstructionRequest? request = null, CancellationToken cancellationToken = default)
    {
        CheckVoxels(voxels, 0);
        return Prepare(voxels, 1, ResolvedRequest.Resolve(request, _components), cancellationToken).Complete(0, cancellationToken);
    }

    /// <summary>
    /// Reconstructs every trial (row) of <paramref name="trials"/> in order, yielding each result as it completes. The
    /// stages before the diffusion (voxel encoders, prior, low-level decoding, captioning, text and image encoding) run
    /// for <see cref="BrainDecoderOptions.TrialBatchSize"/> trials at once; each trial's diffusion, decoding and
    /// selection then run on their own, so results stream trial by trial. Each result equals what
    /// <see cref="Reconstruct"/> gives for that row (images within one grey level where batching changes a kernel's
    /// memory alignment; docs/pipelines.md). On cancellation, the results completed so far have been yielded and the
    /// enumeration ends with <see cref="OperationCanceledException"/>.
    /// </summary>
    /// <param name="trials">trials × <see cref="VoxelCount"/> voxels; every row is checked before any network runs.</param>
    /// <param name="request">Pipeline and settings; null for the bundle's defaults.</param>
    /// <param name="progress">Told after each trial.</param>
    /// <param name="cancellationToken">Cancels between and during trials.</param>
    /// <returns>One reconstruction per trial, in row order.</returns>
    /// <exception cref="VoxelCountMismatchException">The matrix has another voxel count.</exception>
    /// <exception cref="NonFiniteValueException">A voxel of some row is NaN or infinite (its trial and voxel are named).</exception>
    /// <exception cref="BundleComponentMissingException">The bundle lacks a component or output the pipeline needs.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A request setting is out of range (as for <see cref="Reconstruct"/>); thrown before any trial runs.</exception>
    /// <exception cref="ArgumentException">A request setting does not apply to the pipeline.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled; the results completed before have been yielded.</exception>
    /// <exception cref="OrtException">A network run failed in the runtime.</exception>
    /// <exception cref="BundleContractException">Dynamic embedding widths turned out to differ (see <see cref="Reconstruct"/>).</exception>
    public async IAsyncEnumerable<Reconstruction> ReconstructAllAsync(
        VoxelMatrix trials,
        ReconstructionRequest? request = null,
        IProgress<ReconstructionProgress>? progress = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        CheckMatrix(trials);

        var filled = ResolvedRequest.Resolve(request, _components);
        var clock = Stopwatch.StartNew();
        foreach (var (start, count) in BatchAxis.Slices(trials.TrialCount, _trialBatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var rows = trials.Values.Slice(start * VoxelCount, count * VoxelCount).ToArray();
            var prepared = await Task.Run(() => Prepare(rows, count, filled, cancellationToken), cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < count; i++)
            {
                var trial = i;
                var result = await Task.Run(() => prepared.Complete(trial, cancellationToken), cancellationToken).ConfigureAwait(false);
                progress?.Report(new ReconstructionProgress(start + i + 1, trials.TrialCount, start + i, clock.Elapsed));
                yield return result;
            }
        }
    }

    /// <summary>Captions an image with the bundle's captioner. Thread-safe (concurrent calls use their own buffers).</summary>
    /// <param name="image">Any image.</param>
    /// <returns>The caption.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="image"/> is null.</exception>
    /// <exception cref="BundleComponentMissingException">The bundle has no captioner.</exception>
    public string Caption(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return (_components.Captioner ?? throw Missing(nameof(Caption), Bundle.CaptionerDecoder is null ? "captioner/decoder.onnx" : BundleLayout.CaptionerPreprocessor)).Caption([image])[0];
    }

    /// <summary>The image encoder's embedding of <paramref name="image"/> (the space voting and retrieval use). Thread-safe.</summary>
    /// <param name="image">Any image.</param>
    /// <returns>The embedding.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="image"/> is null.</exception>
    /// <exception cref="BundleComponentMissingException">The bundle has no image encoder.</exception>
    /// <exception cref="BundleContractException">The image encoder has no <c>image_embeds</c> output.</exception>
    public float[] EmbedImage(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (_components.ImageEncoder is null)
        {
            throw Missing(nameof(EmbedImage), Bundle.ImageEncoder is null ? "image_encoder/model.onnx" : BundleLayout.ImageEncoderPreprocessor);
        }

        return _components.EmbedImages([image], CancellationToken.None).Embeddings;
    }

    /// <summary>The brain's predicted image embedding for one trial (the high-level voxel encoder's retrieval embedding).</summary>
    /// <param name="voxels"><see cref="VoxelCount"/> values.</param>
    /// <returns>The embedding, comparable with <see cref="EmbedImage"/>.</returns>
    /// <exception cref="VoxelCountMismatchException">Wrong length.</exception>
    /// <exception cref="NonFiniteValueException">A voxel is NaN or infinite.</exception>
    /// <exception cref="BundleComponentMissingException">The bundle has no high-level voxel encoder with a retrieval embedding.</exception>
    /// <remarks>Thread-safe.</remarks>
    public float[] EmbedBrain(ReadOnlySpan<float> voxels)
    {
        CheckVoxels(voxels, 0);
        return EmbedBrainRows(voxels, 1);
    }

    /// <summary>
    /// The brain's predicted image embedding for every trial (row) of <paramref name="trials"/>, computed
    /// <see cref="BrainDecoderOptions.TrialBatchSize"/> trials per encoder run.
    /// </summary>
    /// <param name="trials">trials × <see cref="VoxelCount"/> voxels.</param>
    /// <returns>trials × E floats, row t being <see cref="EmbedBrain(ReadOnlySpan{float})"/> of row t.</returns>
    /// <exception cref="VoxelCountMismatchException">The matrix has another voxel count.</exception>
    /// <exception cref="NonFiniteValueException">A voxel is NaN or infinite.</exception>
    /// <exception cref="BundleComponentMissingException">The bundle has no high-level voxel encoder with a retrieval embedding.</exception>
    public float[] EmbedBrain(VoxelMatrix trials)
    {
        CheckMatrix(trials);

        var embeddings = new List<float>();
        foreach (var (start, count) in BatchAxis.Slices(trials.TrialCount, _trialBatchSize))
        {
            embeddings.AddRange(EmbedBrainRows(trials.Values.Slice(start * VoxelCount, count * VoxelCount), count));
        }

        return embeddings.ToArray();
    }

    /// <summary>The image encoder's embeddings of <paramref name="images"/>, in one run. Thread-safe.</summary>
    /// <param name="images">Images of any sizes (each is preprocessed to the encoder's input size).</param>
    /// <returns>images × E floats, row i being <see cref="EmbedImage"/> of image i.</returns>
    /// <exception cref="BundleComponentMissingException">The bundle has no image encoder.</exception>
    /// <exception cref="BundleContractException">The image encoder has no <c>image_embeds</c> output.</exception>
    public float[] EmbedImages(IReadOnlyList<RgbImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (_components.ImageEncoder is null)
        {
            throw Missing(nameof(EmbedImages), Bundle.ImageEncoder is null ? "image_encoder/model.onnx" : BundleLayout.ImageEncoderPreprocessor);
        }

        return images.Count == 0 ? [] : _components.EmbedImages(images, CancellationToken.None).Embeddings;
    }

    /// <summary>The <paramref name="k"/> candidate images most similar to the brain's predicted embedding.</summary>
    /// <param name="voxels"><see cref="VoxelCount"/> values.</param>
    /// <param name="images">An index of image embeddings (from <see cref="EmbedImage"/>).</param>
    /// <param name="k">How many hits, 1 … <see cref="EmbeddingIndex.Count"/>.</param>
    /// <returns>The hits, best first.</returns>
    /// <remarks>Thread-safe. <paramref name="k"/> and, when the encoder's graph fixes it, the embedding width are checked before the encoder runs.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="images"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is outside 1 … the index's count.</exception>
    /// <exception cref="ArgumentException">The index's embeddings have another width than the brain's (<c>image_embedding</c>).</exception>
    /// <exception cref="VoxelCountMismatchException">Wrong length.</exception>
    /// <exception cref="NonFiniteValueException">A voxel is NaN or infinite.</exception>
    /// <exception cref="BundleComponentMissingException">The bundle has no high-level voxel encoder with a retrieval embedding.</exception>
    /// <exception cref="ObjectDisposedException">The index was disposed.</exception>
    public RetrievalHit[] Retrieve(ReadOnlySpan<float> voxels, EmbeddingIndex images, int k)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, images.Count);
        if (_components.BrainEmbeddingWidth is { } width && width != images.Dimension)
        {
            throw new ArgumentException($"The index holds {images.Dimension}-float embeddings but the brain's 'image_embedding' has {width}; they must come from one space (build the index with EmbedImage).", nameof(images));
        }

        return images.TopK(EmbedBrain(voxels), k);
    }

    /// <summary>
    /// Leave-one-ROI-out importance maps (docs/importance.md): for every trial of <paramref name="trials"/> and every ROI,
    /// how much setting the ROI's voxels to 0 (the training mean of the z-scored inputs NSD/MindEye bundles take) turns
    /// the brain's predicted image embedding (<see cref="EmbedBrain(ReadOnlySpan{float})"/>) away: 1 − cosine to the
    /// unchanged trial's. Each trial and its perturbations run through the high-level voxel encoder in one call. The map
    /// lies in the grid of the bundle's nsdgeneral mask; the decoder's voxel j is the mask's j-th voxel in C order over
    /// (X, Y, Z), the order NSD/MindEye bundles use. Every argument is checked before the encoder runs. Thread-safe.
    /// </summary>
    /// <param name="trials">trials × <see cref="VoxelCount"/> voxels, at least one trial.</param>
    /// <param name="atlases">ROI atlases in the subject's grid (e.g. NSD's prf-visualrois and floc-* volumes with their label tables).</param>
    /// <param name="rois">The ROIs to remove one at a time, each looked up in the first atlas that names it; null for every
    /// ROI of every atlas (<see cref="RoiAtlas.RoiNames"/>, first atlas first; a name already taken is skipped) that has a
    /// voxel inside the decoder's mask.</param>
    /// <param name="progress">Told the number of trials done after each trial.</param>
    /// <param name="cancellationToken">Checked between trials and inside the encoder's runs.</param>
    /// <returns>The importances per trial and averaged, and the map in the subject's grid.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="trials"/> or <paramref name="atlases"/> is null.</exception>
    /// <exception cref="ArgumentException">No atlas; an atlas's grid is not the mask's; <paramref name="rois"/> is empty, repeats a
    /// name, or names an ROI with no voxel inside the decoder's mask.</exception>
    /// <exception cref="UnknownRoiException">A name in <paramref name="rois"/> is in none of the atlases.</exception>
    /// <exception cref="VoxelCountMismatchException">The matrix has another voxel count, or the mask another voxel count than the bundle.</exception>
    /// <exception cref="NonFiniteValueException">A voxel is NaN or infinite.</exception>
    /// <exception cref="BundleComponentMissingException">The bundle has no nsdgeneral mask (<c>masks.nsdgeneral</c>) or no high-level voxel encoder (role <c>image_tokens</c>).</exception>
    /// <exception cref="BundleContractException">The high-level voxel encoder has no <c>image_embedding</c> output.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public ImportanceMap Explain(VoxelMatrix trials, IReadOnlyList<RoiAtlas> atlases, IReadOnlyList<string>? rois = null, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        CheckMatrix(trials);
        ArgumentNullException.ThrowIfNull(atlases);
        if (atlases.Count == 0)
        {
            throw new ArgumentException("no ROI atlas given", nameof(atlases));
        }

        if (rois is not null)
        {
            if (rois.Count == 0)
            {
                throw new ArgumentException("no ROI names given (pass null for every ROI of the atlases)", nameof(rois));
            }

            if (rois.GroupBy(r => r, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } repeated)
            {
                throw new ArgumentException($"ROI '{repeated.Key}' is named {repeated.Count()} times", nameof(rois));
            }
        }

        if (_components.HighLevelEncoder is null)
        {
            throw Missing(nameof(Explain), "a voxel encoder with role 'image_tokens'");
        }

        string maskPath = NsdgeneralMaskPath ?? throw Missing(nameof(Explain), "masks.nsdgeneral (the subject's grid)");
        NiftiHeader grid;
        using (var reader = NiftiReader.Open(maskPath))
        {
            grid = reader.Header;
        }

        VoxelMask decoderVoxels = VoxelMask.FromNifti(maskPath);
        if (decoderVoxels.Count != VoxelCount)
        {
            throw new VoxelCountMismatchException($"bundle '{Bundle.RootPath}'", VoxelCount, decoderVoxels.Count, $"voxels inside '{maskPath}'");
        }

        IReadOnlyList<DecoderRegion> regions = rois is null
            ? RoiRegions.AllFromAtlases(decoderVoxels, VoxelOrder.NumpyXyz, atlases)
            : RoiRegions.FromAtlases(decoderVoxels, VoxelOrder.NumpyXyz, atlases, rois);
        RegionImportance importance = ExplainRegions(trials, regions, progress, cancellationToken);
        return new ImportanceMap(importance, regions, decoderVoxels, grid);
    }

    /// <summary>
    /// Leave-one-region-out importances of arbitrary column sets (the seam under the public <see cref="Explain(VoxelMatrix, IReadOnlyList{RoiAtlas}, IReadOnlyList{string}?, IProgress{int}?, CancellationToken)"/>;
    /// tests use it with voxel blocks): for every trial, one high-level encoder call on the trial and its R perturbations.
    /// </summary>
    /// <exception cref="VoxelCountMismatchException">The matrix has another voxel count.</exception>
    /// <exception cref="NonFiniteValueException">A voxel is NaN or infinite.</exception>
    /// <exception cref="ArgumentException">A region is empty, repeats a column or names one out of range.</exception>
    /// <exception cref="BundleComponentMissingException">The bundle has no high-level voxel encoder with a retrieval embedding.</exception>
    internal RegionImportance ExplainRegions(VoxelMatrix trials, IReadOnlyList<DecoderRegion> regions, IProgress<int>? progress = null,
        CancellationToken cancellationToken = default)
    {
        CheckMatrix(trials);
        if (_components.HighLevelEncoder is null)
        {
            throw Missing(nameof(Explain), "a voxel encoder with role 'image_tokens'");
        }

        return LeaveOneOut.Compute(trials.Values, trials.TrialCount, VoxelCount, regions, EmbedBrainRows, progress, cancellationToken);
    }

    /// <summary>Releases every session of the bundle. Idempotent.</summary>
    public void Dispose()
    {
        _components.Dispose();
        Bundle.Dispose();
    }

    private float[] EmbedBrainRows(ReadOnlySpan<float> rows, int count, CancellationToken cancellationToken = default)
    {
        var encoder = _components.HighLevelEncoder
            ?? throw Missing(nameof(EmbedBrain), "a voxel encoder with role 'image_tokens'");
        return encoder.Encode(rows, count, cancellationToken).ImageEmbedding?.Release()
            ?? throw new BundleContractException(Bundle.RootPath, [$"{encoder}: has no 'image_embedding' output to retrieve with."]);
    }

    /// <summary>Runs the batched stages of the request's pipeline for <paramref name="count"/> checked trials.</summary>
    private PreparedTrials Prepare(ReadOnlySpan<float> rows, int count, ResolvedRequest resolved, CancellationToken cancellationToken) =>
        resolved.Row.Runner.Prepare(_components, rows, count, resolved, cancellationToken);

    /// <summary>Checks a whole voxel matrix (column count, then every row for NaN/Inf) before any network runs.</summary>
    private void CheckMatrix(VoxelMatrix trials)
    {
        ArgumentNullException.ThrowIfNull(trials);
        if (trials.VoxelCount != VoxelCount)
        {
            throw new VoxelCountMismatchException($"bundle '{Bundle.RootPath}' ({Subject})", VoxelCount, trials.VoxelCount, "columns of the voxel matrix");
        }

        for (var t = 0; t < trials.TrialCount; t++)
        {
            CheckVoxels(trials.Row(t), t);
        }
    }

    private void CheckVoxels(ReadOnlySpan<float> voxels, int trial)
    {
        if (voxels.Length != VoxelCount)
        {
            throw new VoxelCountMismatchException($"bundle '{Bundle.RootPath}'", VoxelCount, voxels.Length, $"subject {Subject}");
        }

        if (!TensorPrimitives.IsFiniteAll(voxels))
        {
            for (var v = 0; v < voxels.Length; v++)
            {
                if (!float.IsFinite(voxels[v]))
                {
                    throw new NonFiniteValueException(trial, v, voxels[v]);
                }
            }
        }
    }

    private BundleComponentMissingException Missing(string operation, string what) =>
        new(Bundle.RootPath, what, [operation]);
}
