namespace FmriToImage.Evaluation;

/// <summary>
/// The feature distance MindEye reports for EfficientNet-B1 and SwAV-ResNet50: for each image pair,
/// <c>scipy.spatial.distance.correlation</c> between the ground truth's and the reconstruction's feature vectors
/// (1 − Pearson r), and the mean over pairs. Lower is better; 0 for identical features, 1 for uncorrelated ones.
/// </summary>
internal static class CorrelationDistance
{
    /// <summary>1 − r for each pair of rows.</summary>
    /// <param name="groundTruthFeatures">N × dimension floats, row i the features of ground truth i.</param>
    /// <param name="reconstructionFeatures">N × dimension floats, row i the features of reconstruction i.</param>
    /// <param name="dimension">Features per image.</param>
    /// <returns>N distances in [0, 2]; a constant row's distance is 1 (r taken as 0; scipy gives NaN).</returns>
    /// <exception cref="ArgumentException">The matrices differ in size or are empty.</exception>
    public static double[] PerPair(ReadOnlySpan<float> groundTruthFeatures, ReadOnlySpan<float> reconstructionFeatures, int dimension)
    {
        var count = FeatureCorrelation.PairedRows(groundTruthFeatures, reconstructionFeatures, dimension, 1, "Correlation distance");
        var truths = FeatureCorrelation.Standardize(groundTruthFeatures, count, dimension);
        var reconstructions = FeatureCorrelation.Standardize(reconstructionFeatures, count, dimension);
        var distances = new double[count];
        for (var i = 0; i < count; i++)
        {
            distances[i] = 1 - FeatureCorrelation.Dot(truths, i, reconstructions, i, dimension);
        }

        return distances;
    }

    /// <summary>The mean of <see cref="PerPair"/>: MindEye's EffNet-B and SwAV number.</summary>
    /// <param name="groundTruthFeatures">N × dimension floats.</param>
    /// <param name="reconstructionFeatures">N × dimension floats, paired row for row.</param>
    /// <param name="dimension">Features per image.</param>
    /// <returns>The mean distance.</returns>
    public static double Mean(ReadOnlySpan<float> groundTruthFeatures, ReadOnlySpan<float> reconstructionFeatures, int dimension) =>
        PerPair(groundTruthFeatures, reconstructionFeatures, dimension).Average();
}
