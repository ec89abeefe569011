using FmriToImage.Evaluation;
using FmriToImage.Imaging;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// PixCorr and SSIM of a reconstruction against the image seen, at the seen image's (the stimulus's) size: the
/// reconstruction is resampled to it first with a bilinear kernel (antialiased on downscale), as MindEye resizes both
/// images to the 425×425 NSD stimulus size before comparing. A diffusion model's output (e.g. 512 px for Stable
/// Diffusion) rarely has the stimulus's size, and <see cref="PixelCorrelation"/> and <see cref="StructuralSimilarity"/>
/// compare equally sized images only.
/// </summary>
internal static class ImageComparison
{
    /// <summary>The kernel the reconstruction is resampled with (MindEye: torchvision's bilinear Resize).</summary>
    public const ResampleFilter Filter = ResampleFilter.Bilinear;

    /// <summary>PixCorr and SSIM of <paramref name="reconstruction"/> against <paramref name="truth"/>, at the truth's size.</summary>
    /// <param name="truth">The image seen; its size is the size compared at.</param>
    /// <param name="reconstruction">The reconstruction, any size.</param>
    /// <returns>PixCorr (Pearson r of the RGB values) and SSIM (greyscale, MindEye's settings).</returns>
    public static (double PixCorr, double Ssim) Compare(RgbImage truth, RgbImage reconstruction)
    {
        var resampled = reconstruction.Width == truth.Width && reconstruction.Height == truth.Height
            ? reconstruction
            : ImageResampler.Resize(reconstruction, truth.Width, truth.Height, Filter);
        return (PixelCorrelation.Compute(truth, resampled), StructuralSimilarity.Compute(truth, resampled));
    }
}
