namespace FmriToImage.Adaptation;

/// <summary>
/// The cross-validation score: Pearson's r between predictions and targets for each target dimension over all rows
/// (out-of-fold predictions pooled), averaged over dimensions; a dimension whose prediction or target has zero
/// variance counts 0. Two passes (means, then centred sums) in float64.
/// </summary>
internal static class PooledCorrelation
{
    public static double Mean(ReadOnlySpan<double> predictions, ReadOnlySpan<double> targets, int rows, int dimension)
    {
        var meanP = new double[dimension];
        var meanT = new double[dimension];
        for (var i = 0; i < rows; i++)
        {
            for (var d = 0; d < dimension; d++)
            {
                meanP[d] += predictions[(i * dimension) + d];
                meanT[d] += targets[(i * dimension) + d];
            }
        }

        for (var d = 0; d < dimension; d++)
        {
            meanP[d] /= rows;
            meanT[d] /= rows;
        }

        var pt = new double[dimension];
        var pp = new double[dimension];
        var tt = new double[dimension];
        for (var i = 0; i < rows; i++)
        {
            for (var d = 0; d < dimension; d++)
            {
                var p = predictions[(i * dimension) + d] - meanP[d];
                var t = targets[(i * dimension) + d] - meanT[d];
                pt[d] += p * t;
                pp[d] += p * p;
                tt[d] += t * t;
            }
        }

        double sum = 0;
        for (var d = 0; d < dimension; d++)
        {
            var denominator = Math.Sqrt(pp[d] * tt[d]);
            sum += denominator > 0 ? pt[d] / denominator : 0;
        }

        return sum / dimension;
    }
}
