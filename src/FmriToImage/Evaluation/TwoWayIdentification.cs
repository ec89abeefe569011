namespace FmriToImage.Evaluation;

/// <summary>
/// Two-way identification as MindEye computes it: with features of N ground-truth images and of their N
/// reconstructions (from any feature extractor — AlexNet, Inception, CLIP, or the bundle's image encoder), r is the
/// Pearson correlation of every ground truth with every reconstruction; each reconstruction scores the fraction of the
/// N − 1 other ground truths it correlates with less than with its own, and the result is the mean. Chance is 0.5.
/// </summary>
/// <remarks>
/// A row with zero variance (a constant feature vector, e.g. an all-black image's features from some extractors) has
/// an undefined Pearson r: NumPy's <c>np.corrcoef</c> gives NaN, and MindEye's comparison <c>r &lt; congruent</c> is then
/// false, so such a reconstruction beats nobody. Here such a row's r is taken as 0 with every other row; a constant
/// reconstruction then scores the fraction of ground truths whose r with it (0) is below its congruent r (also 0):
/// none, as with NumPy. A constant <em>ground truth</em>, though, has r = 0 with every reconstruction here, so it counts
/// as beaten by reconstructions whose congruent r is positive, and its own reconstruction beats the ground truths it
/// correlates with negatively; with NumPy's NaN neither comparison is ever true. Results can therefore differ from
/// MindEye's only when some ground-truth feature row is constant.
/// </remarks>
public static class TwoWayIdentification
{
    /// <summary>Computes the two-way identification accuracy.</summary>
    /// <param name="groundTruthFeatures">N × dimension floats, row i the features of ground truth i.</param>
    /// <param name="reconstructionFeatures">N × dimension floats, row i the features of reconstruction i.</param>
    /// <param name="dimension">Features per image.</param>
    /// <returns>The accuracy in [0, 1].</returns>
    /// <exception cref="ArgumentException">The matrices differ in size, or there are fewer than 2 images.</exception>
    public static double Compute(ReadOnlySpan<float> groundTruthFeatures, ReadOnlySpan<float> reconstructionFeatures, int dimension) =>
        PerReconstruction(groundTruthFeatures, reconstructionFeatures, dimension).Average();

    /// <summary>Each reconstruction's share of the N − 1 other ground truths it correlates with less than with its own.</summary>
    /// <param name="groundTruthFeatures">N × dimension floats, row i the features of ground truth i.</param>
    /// <param name="reconstructionFeatures">N × dimension floats, row i the features of reconstruction i.</param>
    /// <param name="dimension">Features per image.</param>
    /// <returns>N fractions in [0, 1]; their mean is <see cref="Compute"/>.</returns>
    /// <exception cref="ArgumentException">The matrices differ in size, or there are fewer than 2 images.</exception>
    public static double[] PerReconstruction(ReadOnlySpan<float> groundTruthFeatures, ReadOnlySpan<float> reconstructionFeatures, int dimension)
    {
        var count = FeatureCorrelation.PairedRows(groundTruthFeatures, reconstructionFeatures, dimension, 2, "Two-way identification");
        var truths = FeatureCorrelation.Standardize(groundTruthFeatures, count, dimension);
        var reconstructions = FeatureCorrelation.Standardize(reconstructionFeatures, count, dimension);
        var result = new double[count];
        for (var j = 0; j < count; j++)
        {
            var congruent = FeatureCorrelation.Dot(truths, j, reconstructions, j, dimension);
            var beaten = 0;
            for (var i = 0; i < count; i++)
            {
                if (i != j && FeatureCorrelation.Dot(truths, i, reconstructions, j, dimension) < congruent)
                {
                    beaten++;
                }
            }

            result[j] = beaten / (double)(count - 1);
        }

        return result;
    }
}
