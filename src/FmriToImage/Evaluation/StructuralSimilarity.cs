using FmriToImage.Imaging;

namespace FmriToImage.Evaluation;

/// <summary>
/// SSIM by its documented two-dimensional definition (Wang et al. 2004, as scikit-image computes it for a 2-D image):
/// both images to greyscale (scikit-image's <c>rgb2gray</c>: 0.2125 R + 0.7154 G +
/// 0.0721 B on [0, 1]), then scikit-image's <c>structural_similarity</c> with a Gaussian window (σ = 1.5, truncated at
/// 3.5 σ: 11×11), population covariances (<c>use_sample_covariance=False</c>), data range 1, K1 = 0.01, K2 = 0.03,
/// edges mirrored as scipy's <c>reflect</c> mode, and the mean over the image with a 5-pixel border cropped.
/// </summary>
/// <remarks>
/// MindEye's published code passes <c>multichannel=True</c> with its 2-D grey images, which scikit-image 0.19 reads as
/// one 1-D signal per column: that number is <see cref="ColumnwiseStructuralSimilarity"/>, not this one. Compare with
/// published tables using that one; this one is SSIM as defined.
/// </remarks>
internal static class StructuralSimilarity
{
    private const double Sigma = 1.5;
    private const double Truncate = 3.5;
    private const double C1 = 0.01 * 0.01;
    private const double C2 = 0.03 * 0.03;

    /// <summary>Half the Gaussian window: 5 (σ = 1.5 truncated at 3.5 σ gives an 11-tap window).</summary>
    internal static readonly int Radius = (int)((Truncate * Sigma) + 0.5);

    /// <summary>The mean SSIM of two equally sized images.</summary>
    /// <param name="groundTruth">The seen image.</param>
    /// <param name="reconstruction">The reconstruction, same size; at least 11×11 pixels.</param>
    /// <returns>SSIM in [−1, 1].</returns>
    /// <exception cref="ArgumentException">The images differ in size or are smaller than the window.</exception>
    public static double Compute(RgbImage groundTruth, RgbImage reconstruction)
    {
        ArgumentNullException.ThrowIfNull(groundTruth);
        ArgumentNullException.ThrowIfNull(reconstruction);
        PixelCorrelation.SameSize(groundTruth, reconstruction);
        var radius = Radius;
        int width = groundTruth.Width, height = groundTruth.Height;
        if (width < (2 * radius) + 1 || height < (2 * radius) + 1)
        {
            throw new ArgumentException($"SSIM needs images of at least {(2 * radius) + 1}×{(2 * radius) + 1} pixels; these are {width}×{height}.", nameof(groundTruth));
        }

        var x = Grey(groundTruth);
        var y = Grey(reconstruction);
        var kernel = GaussianKernel(radius);
        var ux = Blur(x, width, height, kernel);
        var uy = Blur(y, width, height, kernel);
        var uxx = Blur(Product(x, x), width, height, kernel);
        var uyy = Blur(Product(y, y), width, height, kernel);
        var uxy = Blur(Product(x, y), width, height, kernel);

        double sum = 0;
        var count = 0;
        for (var row = radius; row < height - radius; row++)
        {
            for (var col = radius; col < width - radius; col++)
            {
                var i = (row * width) + col;
                sum += Local(ux[i], uy[i], uxx[i], uyy[i], uxy[i]);
                count++;
            }
        }

        return sum / count;
    }

    /// <summary>The SSIM of one window from its Gaussian-weighted means E[x], E[y], E[x²], E[y²], E[xy].</summary>
    internal static double Local(double ux, double uy, double uxx, double uyy, double uxy)
    {
        var vx = uxx - (ux * ux);
        var vy = uyy - (uy * uy);
        var vxy = uxy - (ux * uy);
        return ((2 * ux * uy) + C1) * ((2 * vxy) + C2) / (((ux * ux) + (uy * uy) + C1) * (vx + vy + C2));
    }

    internal static double[] Grey(RgbImage image)
    {
        var pixels = image.Pixels;
        var grey = new double[image.Width * image.Height];
        for (int i = 0, p = 0; i < grey.Length; i++, p += 3)
        {
            grey[i] = ((0.2125 * pixels[p]) + (0.7154 * pixels[p + 1]) + (0.0721 * pixels[p + 2])) / 255.0;
        }

        return grey;
    }

    private static double[] Product(double[] a, double[] b)
    {
        var result = new double[a.Length];
        for (var i = 0; i < a.Length; i++)
        {
            result[i] = a[i] * b[i];
        }

        return result;
    }

    internal static double[] GaussianKernel(int radius)
    {
        var kernel = new double[(2 * radius) + 1];
        double total = 0;
        for (var k = -radius; k <= radius; k++)
        {
            kernel[k + radius] = Math.Exp(-0.5 * k * k / (Sigma * Sigma));
            total += kernel[k + radius];
        }

        for (var k = 0; k < kernel.Length; k++)
        {
            kernel[k] /= total;
        }

        return kernel;
    }

    /// <summary>Separable Gaussian filter with scipy's 'reflect' boundary (d c b a | a b c d | d c b a).</summary>
    private static double[] Blur(double[] image, int width, int height, double[] kernel)
    {
        var radius = kernel.Length / 2;
        var rows = new double[image.Length];
        for (var r = 0; r < height; r++)
        {
            for (var c = 0; c < width; c++)
            {
                double value = 0;
                for (var k = -radius; k <= radius; k++)
                {
                    value += kernel[k + radius] * image[(r * width) + Reflect(c + k, width)];
                }

                rows[(r * width) + c] = value;
            }
        }

        var result = new double[image.Length];
        for (var r = 0; r < height; r++)
        {
            for (var c = 0; c < width; c++)
            {
                double value = 0;
                for (var k = -radius; k <= radius; k++)
                {
                    value += kernel[k + radius] * rows[(Reflect(r + k, height) * width) + c];
                }

                result[(r * width) + c] = value;
            }
        }

        return result;
    }

    internal static int Reflect(int index, int length)
    {
        while (index < 0 || index >= length)
        {
            index = index < 0 ? -index - 1 : (2 * length) - index - 1;
        }

        return index;
    }
}
