using System.Numerics.Tensors;

namespace FmriToImage.Imaging;

/// <summary>
/// Conversions between <see cref="RgbImage"/> and planar float tensors (NCHW, channels R, G, B) under an
/// <see cref="ImageNormalization"/>. Thread-safe: no shared state.
/// </summary>
internal static class ImageTensor
{
    /// <summary>Writes one image as a CHW block (3 × height × width floats).</summary>
    /// <param name="image">The image.</param>
    /// <param name="normalization">Byte → float mapping.</param>
    /// <param name="destination">Exactly <c>3 × Height × Width</c> floats: the red plane, then green, then blue.</param>
    /// <exception cref="ArgumentException">The destination length is wrong.</exception>
    public static void ToChw(RgbImage image, ImageNormalization normalization, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(normalization);
        int plane = image.Width * image.Height;
        if (destination.Length != plane * 3)
        {
            throw new ArgumentException(
                $"A {image.Width}×{image.Height} image needs {plane * 3} floats (3×{image.Height}×{image.Width}), got {destination.Length}.",
                nameof(destination));
        }

        Span<float> lookup = stackalloc float[256 * 3];
        for (int c = 0; c < 3; c++)
        {
            for (int v = 0; v < 256; v++)
            {
                lookup[(c * 256) + v] = normalization.Forward((byte)v, c);
            }
        }

        ReadOnlySpan<byte> pixels = image.Pixels;
        Span<float> r = destination[..plane];
        Span<float> g = destination.Slice(plane, plane);
        Span<float> b = destination.Slice(2 * plane, plane);
        for (int i = 0, p = 0; i < plane; i++, p += 3)
        {
            r[i] = lookup[pixels[p]];
            g[i] = lookup[256 + pixels[p + 1]];
            b[i] = lookup[512 + pixels[p + 2]];
        }
    }

    /// <summary>Stacks same-sized images into a new <c>[N, 3, H, W]</c> tensor.</summary>
    /// <param name="images">At least one image; all of one size.</param>
    /// <param name="normalization">Byte → float mapping.</param>
    /// <returns>The tensor.</returns>
    /// <exception cref="ArgumentException">The list is empty or the sizes differ.</exception>
    public static Tensor<float> ToNchw(IReadOnlyList<RgbImage> images, ImageNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
        {
            throw new ArgumentException("At least one image is needed.", nameof(images));
        }

        int width = images[0].Width;
        int height = images[0].Height;
        int block = 3 * width * height;
        var values = new float[(long)block * images.Count];
        for (int n = 0; n < images.Count; n++)
        {
            RgbImage image = images[n];
            if (image.Width != width || image.Height != height)
            {
                throw new ArgumentException(
                    $"Image {n} is {image.Width}×{image.Height}, expected {width}×{height} like image 0.", nameof(images));
            }

            ToChw(image, normalization, values.AsSpan(n * block, block));
        }

        return Tensor.Create(values, [images.Count, 3, height, width]);
    }

    /// <summary>Converts one CHW block (e.g. a decoded VAE sample) back to bytes.</summary>
    /// <param name="source"><c>3 × height × width</c> floats, planes R, G, B.</param>
    /// <param name="width">Image width.</param>
    /// <param name="height">Image height.</param>
    /// <param name="normalization">The mapping to invert (round half to even, clamp).</param>
    /// <returns>A new image.</returns>
    /// <exception cref="ArgumentException">The source length is not <c>3 × height × width</c>.</exception>
    public static RgbImage FromChw(ReadOnlySpan<float> source, int width, int height, ImageNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(normalization);
        var image = new RgbImage(width, height);
        int plane = width * height;
        if (source.Length != plane * 3)
        {
            throw new ArgumentException(
                $"A {width}×{height} image needs {plane * 3} floats, got {source.Length}.", nameof(source));
        }

        Span<byte> pixels = image.Pixels;
        for (int i = 0, p = 0; i < plane; i++, p += 3)
        {
            pixels[p] = normalization.Inverse(source[i], 0);
            pixels[p + 1] = normalization.Inverse(source[plane + i], 1);
            pixels[p + 2] = normalization.Inverse(source[(2 * plane) + i], 2);
        }

        return image;
    }

    /// <summary>Converts a <c>[N, 3, H, W]</c> tensor back to N images.</summary>
    /// <param name="batch">The tensor (dense, row-major).</param>
    /// <param name="normalization">The mapping to invert.</param>
    /// <returns>One image per batch entry.</returns>
    /// <exception cref="ArgumentException">The tensor is not rank 4 with 3 channels.</exception>
    public static RgbImage[] FromNchw(Tensor<float> batch, ImageNormalization normalization)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ReadOnlySpan<nint> lengths = batch.Lengths;
        if (lengths.Length != 4 || lengths[1] != 3)
        {
            throw new ArgumentException(
                $"Expected a [N, 3, H, W] tensor, got [{string.Join(", ", lengths.ToArray())}].", nameof(batch));
        }

        int n = (int)lengths[0];
        int height = (int)lengths[2];
        int width = (int)lengths[3];
        int block = 3 * width * height;
        var flat = new float[batch.FlattenedLength];
        batch.FlattenTo(flat);
        var images = new RgbImage[n];
        for (int i = 0; i < n; i++)
        {
            images[i] = FromChw(flat.AsSpan(i * block, block), width, height, normalization);
        }

        return images;
    }
}
