namespace FmriToImage.Evaluation;

/// <summary>The field's metric table for one set of image pairs, in MindEye's column order.</summary>
/// <param name="PairCount">The number of ground-truth / reconstruction pairs scored.</param>
/// <param name="Metrics">PixCorr, SSIM (MindEye's code), SSIM (2-D), then each network metric the bundle has.</param>
public sealed record MetricTable(int PairCount, IReadOnlyList<MetricResult> Metrics)
{
    /// <summary>The metric with <paramref name="key"/>, or null when this table lacks it.</summary>
    /// <param name="key">A <see cref="MetricResult.Key"/>.</param>
    /// <returns>The metric or null.</returns>
    public MetricResult? this[string key] => Metrics.FirstOrDefault(m => m.Key == key);
}
