using FmriToImage.Imaging;

namespace FmriToImage.Evaluation;

/// <summary>
/// PixCorr as MindEye computes it: the Pearson correlation between all RGB values of a ground-truth image and its
/// reconstruction (both the same size; MindEye resizes both to 425×425 first — do that with <see cref="ImageResampler"/>
/// when comparing with published numbers).
/// </summary>
internal static class PixelCorrelation
{
    /// <summary>Pearson r over the 3·W·H values of two equally sized images.</summary>
    /// <param name="groundTruth">The seen image.</param>
    /// <param name="reconstruction">The reconstruction, same size.</param>
    /// <returns>r in [−1, 1]; 0 when either image is constant.</returns>
    /// <exception cref="ArgumentException">The images differ in size.</exception>
    public static double Compute(RgbImage groundTruth, RgbImage reconstruction)
    {
        ArgumentNullException.ThrowIfNull(groundTruth);
        ArgumentNullException.ThrowIfNull(reconstruction);
        SameSize(groundTruth, reconstruction);
        ReadOnlySpan<byte> a = groundTruth.Pixels;
        ReadOnlySpan<byte> b = reconstruction.Pixels;
        double meanA = 0, meanB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            meanA += a[i];
            meanB += b[i];
        }

        meanA /= a.Length;
        meanB /= b.Length;
        double covariance = 0, varianceA = 0, varianceB = 0;
        for (var i = 0; i < a.Length; i++)
        {
            var da = a[i] - meanA;
            var db = b[i] - meanB;
            covariance += da * db;
            varianceA += da * da;
            varianceB += db * db;
        }

        return varianceA > 0 && varianceB > 0 ? covariance / Math.Sqrt(varianceA * varianceB) : 0;
    }

    internal static void SameSize(RgbImage groundTruth, RgbImage reconstruction)
    {
        if (groundTruth.Width != reconstruction.Width || groundTruth.Height != reconstruction.Height)
        {
            throw new ArgumentException(
                $"The ground truth is {groundTruth.Width}×{groundTruth.Height} but the reconstruction is {reconstruction.Width}×{reconstruction.Height}; resize one to the other first.",
                nameof(reconstruction));
        }
    }
}
