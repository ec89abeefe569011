using FmriToImage.Imaging;

namespace FmriToImage.Evaluation;

/// <summary>
/// The SSIM number MindEye's published code computes — use this one to compare with published tables. Its
/// <c>src/Reconstruction_Metrics.py</c> calls scikit-image's <c>structural_similarity(rec, gt, multichannel=True,
/// gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=1.0)</c> on 2-D greyscale images;
/// scikit-image 0.19 reads the last axis of a 2-D array as channels, so each <em>column</em> is scored as a 1-D
/// signal (an 11-tap Gaussian along the column only, 5 samples cropped at each end) and the result is the mean over
/// the columns. <see cref="StructuralSimilarity"/> is SSIM by its 2-D definition; on a realistic 512 → 425 pair the
/// two differ by several hundredths (docs/evaluation.md).
/// </summary>
internal static class ColumnwiseStructuralSimilarity
{
    /// <summary>The mean over columns of the 1-D SSIM of each greyscale column.</summary>
    /// <param name="groundTruth">The seen image.</param>
    /// <param name="reconstruction">The reconstruction, same size; at least 11 pixels high.</param>
    /// <returns>SSIM in [−1, 1].</returns>
    /// <exception cref="ArgumentException">The images differ in size or are less than 11 pixels high.</exception>
    public static double Compute(RgbImage groundTruth, RgbImage reconstruction)
    {
        ArgumentNullException.ThrowIfNull(groundTruth);
        ArgumentNullException.ThrowIfNull(reconstruction);
        PixelCorrelation.SameSize(groundTruth, reconstruction);
        var radius = StructuralSimilarity.Radius;
        int width = groundTruth.Width, height = groundTruth.Height;
        if (height < (2 * radius) + 1)
        {
            throw new ArgumentException($"Column-wise SSIM needs images at least {(2 * radius) + 1} pixels high; these are {width}×{height}.", nameof(groundTruth));
        }

        var x = StructuralSimilarity.Grey(groundTruth);
        var y = StructuralSimilarity.Grey(reconstruction);
        var kernel = StructuralSimilarity.GaussianKernel(radius);
        double total = 0;
        for (var col = 0; col < width; col++)
        {
            double columnSum = 0;
            for (var row = radius; row < height - radius; row++)
            {
                double ux = 0, uy = 0, uxx = 0, uyy = 0, uxy = 0;
                for (var k = -radius; k <= radius; k++)
                {
                    var i = (StructuralSimilarity.Reflect(row + k, height) * width) + col;
                    var w = kernel[k + radius];
                    ux += w * x[i];
                    uy += w * y[i];
                    uxx += w * x[i] * x[i];
                    uyy += w * y[i] * y[i];
                    uxy += w * x[i] * y[i];
                }

                columnSum += StructuralSimilarity.Local(ux, uy, uxx, uyy, uxy);
            }

            total += columnSum / (height - (2 * radius));
        }

        return total / width;
    }
}
