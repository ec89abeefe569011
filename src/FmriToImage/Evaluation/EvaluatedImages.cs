using FmriToImage.Imaging;

namespace FmriToImage.Evaluation;

/// <summary>
/// A set of images made ready for scoring by <see cref="ReconstructionEvaluator.Prepare"/>: each at the pixel
/// metrics' size, and its features for every network metric. Prepare ground truths once and score any number of
/// reconstruction sets (final, low-level, baselines) against them.
/// </summary>
public sealed class EvaluatedImages
{
    internal EvaluatedImages(RgbImage[] pixelImages, IReadOnlyDictionary<string, float[]> features)
    {
        PixelImages = pixelImages;
        Features = features;
    }

    /// <summary>The number of images.</summary>
    public int Count => PixelImages.Count;

    /// <summary>Each image at the size PixCorr and SSIM compare at.</summary>
    public IReadOnlyList<RgbImage> PixelImages { get; }

    /// <summary>Per network metric key, Count × dimension floats, row i the features of image i.</summary>
    public IReadOnlyDictionary<string, float[]> Features { get; }

    /// <summary>The images in another order (e.g. shuffled pairs for the chance row), or repeated.</summary>
    /// <param name="order">Indices into this set; any length.</param>
    /// <returns>A new set sharing the images.</returns>
    public EvaluatedImages Select(IReadOnlyList<int> order)
    {
        ArgumentNullException.ThrowIfNull(order);
        var images = order.Select(i => PixelImages[i]).ToArray();
        var features = new Dictionary<string, float[]>();
        foreach (var (key, values) in Features)
        {
            var dimension = values.Length / Count;
            var selected = new float[order.Count * dimension];
            for (var r = 0; r < order.Count; r++)
            {
                values.AsSpan(order[r] * dimension, dimension).CopyTo(selected.AsSpan(r * dimension));
            }

            features[key] = selected;
        }

        return new EvaluatedImages(images, features);
    }
}
