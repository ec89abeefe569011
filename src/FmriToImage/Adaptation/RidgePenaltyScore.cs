namespace FmriToImage.Adaptation;

/// <summary>The cross-validation score of one ridge penalty.</summary>
/// <param name="Lambda">The penalty λ.</param>
/// <param name="MeanCorrelation">
/// The Pearson correlation between out-of-fold predictions and targets, per target dimension over all trials, averaged
/// over the dimensions (a dimension whose prediction or target is constant counts 0). Between −1 and 1; higher is better.
/// </param>
public sealed record RidgePenaltyScore(double Lambda, double MeanCorrelation);
