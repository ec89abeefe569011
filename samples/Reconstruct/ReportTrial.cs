using FmriToImage.Imaging;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>One trial as the report shows it.</summary>
/// <param name="Result">What was stored for the trial.</param>
/// <param name="Truth">The image seen, or null without ground truth.</param>
/// <param name="LowLevel">The chosen model's low-level image, or null.</param>
/// <param name="Final">The chosen reconstruction.</param>
/// <param name="Candidates">Every candidate's image, in <see cref="TrialResult.Candidates"/> order.</param>
/// <param name="PixCorr">PixCorr against the truth, or null.</param>
/// <param name="Ssim">SSIM against the truth, or null.</param>
/// <param name="Row">The trial's row in the voxel matrix.</param>
internal sealed record ReportTrial(TrialResult Result, RgbImage? Truth, RgbImage? LowLevel, RgbImage Final, IReadOnlyList<RgbImage> Candidates, double? PixCorr, double? Ssim, int Row);
