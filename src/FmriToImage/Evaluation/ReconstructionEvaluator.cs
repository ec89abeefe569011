using FmriToImage.Imaging;

namespace FmriToImage.Evaluation;

/// <summary>
/// MindEye's metric table with its published protocol: every image resized to <see cref="CommonSize"/> squared first
/// (bilinear), then PixCorr and both SSIMs at <see cref="PixelSize"/> squared (bilinear), and each network metric on
/// the common-size images through the network's preprocessing config. Without an evaluation bundle only the pixel
/// metrics are computed.
/// </summary>
/// <remarks>
/// Resizing is PIL's bilinear on 8-bit images (antialiased when shrinking, <see cref="ImageResampler"/>). MindEye's
/// code resizes float tensors with torchvision, which does not antialias tensors in the versions it used: for a 512 px
/// reconstruction shrunk to 256 px the two differ slightly (docs/evaluation.md). Thread-safe when its bundle is.
/// </remarks>
public sealed class ReconstructionEvaluator
{
    private readonly EvaluationBundle? _bundle;
    private readonly int _batchSize;

    /// <summary>Creates an evaluator.</summary>
    /// <param name="bundle">The evaluation networks (not owned), or null for the pixel metrics only.</param>
    /// <param name="batchSize">Images per network run.</param>
    public ReconstructionEvaluator(EvaluationBundle? bundle, int batchSize = 8)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        _bundle = bundle;
        _batchSize = batchSize;
        CommonSize = bundle?.CommonSize ?? 256;
        PixelSize = bundle?.PixelSize ?? 425;
    }

    /// <summary>The square size every image is resized to first (MindEye: 256).</summary>
    public int CommonSize { get; }

    /// <summary>The square size of the pixel metrics (MindEye: 425, the NSD stimulus size).</summary>
    public int PixelSize { get; }

    /// <summary>The network metrics computed, in MindEye's column order (none without a bundle).</summary>
    public IReadOnlyList<FeatureMetric> FeatureMetrics => _bundle?.Metrics ?? [];

    /// <summary>Resizes <paramref name="images"/> and extracts their features.</summary>
    /// <param name="images">Ground truths or reconstructions, any size.</param>
    /// <param name="cancellationToken">Cancels between network runs.</param>
    /// <returns>The prepared set.</returns>
    public EvaluatedImages Prepare(IReadOnlyList<RgbImage> images, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
        {
            throw new ArgumentException("At least one image is needed.", nameof(images));
        }

        var common = images.Select(i => ImageResampler.Resize(i, CommonSize, CommonSize, ResampleFilter.Bilinear)).ToArray();
        var pixel = common.Select(i => ImageResampler.Resize(i, PixelSize, PixelSize, ResampleFilter.Bilinear)).ToArray();
        var features = _bundle?.Extract(common, _batchSize, cancellationToken) ?? [];
        return new EvaluatedImages(pixel, features);
    }

    /// <summary>Scores reconstructions against their ground truths, pair i with pair i.</summary>
    /// <param name="groundTruths">The prepared ground truths.</param>
    /// <param name="reconstructions">The prepared reconstructions, as many.</param>
    /// <returns>PixCorr, SSIM (MindEye's code), SSIM (2-D), then every network metric.</returns>
    /// <remarks>With a single pair, two-way identification is undefined: its value is NaN.</remarks>
    /// <exception cref="ArgumentException">The sets differ in size.</exception>
    public MetricTable Score(EvaluatedImages groundTruths, EvaluatedImages reconstructions)
    {
        ArgumentNullException.ThrowIfNull(groundTruths);
        ArgumentNullException.ThrowIfNull(reconstructions);
        var count = groundTruths.Count;
        if (reconstructions.Count != count)
        {
            throw new ArgumentException($"{count} ground truths but {reconstructions.Count} reconstructions.", nameof(reconstructions));
        }

        var pixCorr = new double[count];
        var ssim = new double[count];
        var ssim2d = new double[count];
        Parallel.For(0, count, i =>
        {
            var (truth, reconstruction) = (groundTruths.PixelImages[i], reconstructions.PixelImages[i]);
            pixCorr[i] = PixelCorrelation.Compute(truth, reconstruction);
            ssim[i] = ColumnwiseStructuralSimilarity.Compute(truth, reconstruction);
            ssim2d[i] = StructuralSimilarity.Compute(truth, reconstruction);
        });
        var metrics = new List<MetricResult>
        {
            new("pixcorr", "PixCorr", pixCorr.Average(), pixCorr, true),
            new("ssim", "SSIM", ssim.Average(), ssim, true),
            new("ssim_2d", "SSIM (2-D definition)", ssim2d.Average(), ssim2d, true),
        };
        foreach (var metric in FeatureMetrics)
        {
            var truths = groundTruths.Features[metric.Key];
            var candidates = reconstructions.Features[metric.Key];
            var dimension = truths.Length / count;
            var perPair = metric.IsCorrelationDistance
                ? CorrelationDistance.PerPair(truths, candidates, dimension)
                : count >= 2 ? TwoWayIdentification.PerReconstruction(truths, candidates, dimension) : [double.NaN];
            metrics.Add(new(metric.Key, metric.Name, perPair.Average(), perPair, !metric.IsCorrelationDistance));
        }

        return new MetricTable(count, metrics);
    }
}
