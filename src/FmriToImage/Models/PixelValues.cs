using FmriToImage.Imaging;
using FmriToImage.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Models;

/// <summary>
/// A batch of images preprocessed straight into a 64-byte aligned native <c>pixel_values</c> tensor [N, 3, H, W]:
/// the values <see cref="ImagePreprocessor.Process(IReadOnlyList{RgbImage})"/> gives, without its managed tensor and
/// the copy out of it (an array on the large-object heap from four 3 × 64 × 64 images up; 0.6 MB for four at CLIP's 224 px).
/// </summary>
internal static class PixelValues
{
    /// <summary>The aligned tensor of <paramref name="images"/>, each prepared by <paramref name="preprocessor"/>; the caller disposes it.</summary>
    /// <exception cref="ArgumentException">The list is empty or the prepared images differ in size (as for <see cref="ImageTensor.ToNchw"/>).</exception>
    public static OrtValue Of(ImagePreprocessor preprocessor, IReadOnlyList<RgbImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
        {
            throw new ArgumentException("At least one image is needed.", nameof(images));
        }

        var prepared = images.Select(preprocessor.Prepare).ToArray();
        var (width, height) = (prepared[0].Width, prepared[0].Height);
        for (var n = 1; n < prepared.Length; n++)
        {
            if (prepared[n].Width != width || prepared[n].Height != height)
            {
                throw new ArgumentException($"Image {n} is {prepared[n].Width}×{prepared[n].Height}, expected {width}×{height} like image 0.", nameof(images));
            }
        }

        var block = 3 * width * height;
        var value = AlignedTensor.Zeroed<float>([prepared.Length, 3, height, width]);
        try
        {
            var pixels = value.GetTensorMutableDataAsSpan<float>();
            for (var n = 0; n < prepared.Length; n++)
            {
                ImageTensor.ToChw(prepared[n], preprocessor.Normalization, pixels.Slice(n * block, block));
            }

            return value;
        }
        catch
        {
            value.Dispose();
            throw;
        }
    }
}
