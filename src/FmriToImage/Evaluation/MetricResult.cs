namespace FmriToImage.Evaluation;

/// <summary>One metric of a <see cref="MetricTable"/>: the value over all pairs and each pair's share of it.</summary>
/// <param name="Key">Stable key (<c>pixcorr</c>, <c>ssim</c>, <c>ssim_2d</c>, <c>alexnet2</c>, …).</param>
/// <param name="Name">The name published tables use.</param>
/// <param name="Value">The mean over pairs.</param>
/// <param name="PerPair">Each pair's value (two-way identification: the share of distractors beaten); the mean is <paramref name="Value"/>.</param>
/// <param name="HigherIsBetter">False for the distances.</param>
public sealed record MetricResult(string Key, string Name, double Value, IReadOnlyList<double> PerPair, bool HigherIsBetter);
