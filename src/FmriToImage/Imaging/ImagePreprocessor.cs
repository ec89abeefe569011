using System.Numerics.Tensors;

namespace FmriToImage.Imaging;

/// <summary>
/// Turns images into model input the way a Hugging Face image processor does, driven entirely by a
/// <see cref="PreprocessorConfig"/>: resize (shortest edge or exact size, PIL-compatible kernel), optional center
/// crop, rescale and normalise, planar NCHW output. CLIP's config gives shorter side → 224, bicubic, center crop 224;
/// BLIP's gives 384 × 384 bicubic without a crop.
/// </summary>
/// <remarks>Immutable; thread-safe.</remarks>
internal sealed class ImagePreprocessor
{
    /// <summary>Creates a preprocessor from a parsed config.</summary>
    /// <param name="config">The config.</param>
    internal ImagePreprocessor(PreprocessorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        Normalization = ImageNormalization.FromConfig(config);
    }

    /// <summary>The config this preprocessor follows.</summary>
    internal PreprocessorConfig Config { get; }

    /// <summary>The byte → float mapping from the config.</summary>
    internal ImageNormalization Normalization { get; }

    /// <summary>Creates a preprocessor from a <c>preprocessor_config.json</c> file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The preprocessor.</returns>
    /// <exception cref="PreprocessorConfigException">The file is missing or malformed.</exception>
    public static ImagePreprocessor Load(string path) => new(PreprocessorConfig.Load(path));

    /// <summary>The output size for an input size: after resizing and cropping.</summary>
    /// <param name="width">Input width.</param>
    /// <param name="height">Input height.</param>
    /// <returns>Output width and height.</returns>
    public (int Width, int Height) OutputSize(int width, int height)
    {
        if (Config.DoCenterCrop && Config.CropSize is { } crop)
        {
            return (crop.Width, crop.Height);
        }

        if (Config.DoResize)
        {
            if (Config.ShortestEdge is { } edge)
            {
                return ImageResampler.ShortestEdgeSize(width, height, edge);
            }

            if (Config.ResizeTo is { } exact)
            {
                return (exact.Width, exact.Height);
            }
        }

        return (width, height);
    }

    /// <summary>Applies the geometric steps (resize, crop) and returns the 8-bit result.</summary>
    /// <param name="image">The input image.</param>
    /// <returns>A new image of <see cref="OutputSize"/>.</returns>
    public RgbImage Prepare(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        RgbImage current = image;
        if (Config.DoResize)
        {
            if (Config.ShortestEdge is { } edge)
            {
                current = ImageResampler.ResizeShortestEdge(current, edge, Config.Resample);
            }
            else if (Config.ResizeTo is { } exact)
            {
                current = ImageResampler.Resize(current, exact.Width, exact.Height, Config.Resample);
            }
        }

        if (Config.DoCenterCrop && Config.CropSize is { } crop)
        {
            current = ImageResampler.CenterCrop(current, crop.Width, crop.Height);
        }

        return ReferenceEquals(current, image) ? image.Clone() : current;
    }

    /// <summary>Prepares one image and writes it as a normalised CHW block.</summary>
    /// <param name="image">The input image.</param>
    /// <param name="destination">Exactly <c>3 × H × W</c> floats for the output size.</param>
    public void Process(RgbImage image, Span<float> destination) =>
        ImageTensor.ToChw(Prepare(image), Normalization, destination);

    /// <summary>Prepares a batch into a new <c>[N, 3, H, W]</c> tensor (all outputs must share a size).</summary>
    /// <param name="images">The input images.</param>
    /// <returns>The pixel-values tensor.</returns>
    /// <exception cref="ArgumentException">The list is empty or outputs differ in size (no crop and mixed aspect ratios).</exception>
    public Tensor<float> Process(IReadOnlyList<RgbImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var prepared = new RgbImage[images.Count];
        for (int i = 0; i < prepared.Length; i++)
        {
            prepared[i] = Prepare(images[i]);
        }

        return ImageTensor.ToNchw(prepared, Normalization);
    }
}
