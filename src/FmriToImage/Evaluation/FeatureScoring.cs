namespace FmriToImage.Evaluation;

/// <summary>How a feature metric turns ground-truth and reconstruction features into a number.</summary>
public enum FeatureScoring
{
    /// <summary><see cref="TwoWayIdentification"/>: higher is better, chance 0.5.</summary>
    TwoWayIdentification,

    /// <summary><see cref="CorrelationDistance"/>: lower is better.</summary>
    CorrelationDistance,
}
