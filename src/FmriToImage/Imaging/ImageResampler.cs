namespace FmriToImage.Imaging;

/// <summary>
/// Resizing and cropping of 8-bit interleaved images, numerically compatible with PIL's <c>Image.resize</c> (Pillow
/// <c>ImagingResample</c>: separable fixed-point convolution, horizontal pass first with an 8-bit intermediate,
/// kernels widened by the scale factor on downscale) and with Hugging Face's <c>center_crop</c>.
/// </summary>
/// <remarks>Thread-safe: no shared state; each call allocates its own weights and intermediate buffer.</remarks>
internal static class ImageResampler
{
    /// <summary>Resizes an RGB image.</summary>
    /// <param name="source">The image.</param>
    /// <param name="width">Output width, at least 1.</param>
    /// <param name="height">Output height, at least 1.</param>
    /// <param name="filter">The kernel.</param>
    /// <returns>A new image (a copy when the size is unchanged).</returns>
    public static RgbImage Resize(RgbImage source, int width, int height, ResampleFilter filter)
    {
        ArgumentNullException.ThrowIfNull(source);
        var result = new RgbImage(width, height);
        Resize(source.Pixels, source.Width, source.Height, RgbImage.BytesPerPixel, result.Pixels, width, height, filter);
        return result;
    }

    /// <summary>
    /// Resizes so that the shorter side becomes <paramref name="size"/> and the longer side
    /// <c>floor(size × long / short)</c>, the rule of Hugging Face's <c>get_resize_output_image_size</c> and
    /// torchvision's <c>Resize(int)</c>.
    /// </summary>
    /// <param name="source">The image.</param>
    /// <param name="size">Target length of the shorter side, at least 1.</param>
    /// <param name="filter">The kernel.</param>
    /// <returns>A new image.</returns>
    public static RgbImage ResizeShortestEdge(RgbImage source, int size, ResampleFilter filter)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        var (width, height) = ShortestEdgeSize(source.Width, source.Height, size);
        return Resize(source, width, height, filter);
    }

    /// <summary>The output size <see cref="ResizeShortestEdge"/> uses.</summary>
    /// <param name="width">Input width.</param>
    /// <param name="height">Input height.</param>
    /// <param name="size">Target length of the shorter side.</param>
    /// <returns>Output width and height.</returns>
    public static (int Width, int Height) ShortestEdgeSize(int width, int height, int size)
    {
        if (width <= height)
        {
            return (size, (int)((long)size * height / width));
        }

        return ((int)((long)size * width / height), size);
    }

    /// <summary>
    /// Crops the centre <paramref name="width"/> × <paramref name="height"/> region. The top-left corner is
    /// <c>floor((W − w) / 2), floor((H − h) / 2)</c> as in Hugging Face's <c>center_crop</c>; where the crop is larger
    /// than the image, the outside is black (zero), as there. (torchvision's <c>CenterCrop</c> rounds the offset
    /// instead, which differs by one pixel when the size difference is odd and its half rounds up.)
    /// </summary>
    /// <param name="source">The image.</param>
    /// <param name="width">Crop width, at least 1.</param>
    /// <param name="height">Crop height, at least 1.</param>
    /// <returns>A new image.</returns>
    public static RgbImage CenterCrop(RgbImage source, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(source);
        var result = new RgbImage(width, height);
        int left = FloorHalf(source.Width - width);
        int top = FloorHalf(source.Height - height);
        const int bpp = RgbImage.BytesPerPixel;
        for (int y = 0; y < height; y++)
        {
            int sy = y + top;
            if (sy < 0 || sy >= source.Height)
            {
                continue;
            }

            int x0 = Math.Max(0, -left);
            int x1 = Math.Min(width, source.Width - left);
            if (x1 > x0)
            {
                source.Row(sy).Slice((x0 + left) * bpp, (x1 - x0) * bpp).CopyTo(result.Row(y)[(x0 * bpp)..]);
            }
        }

        return result;
    }

    /// <summary>Resizes interleaved 8-bit pixels with any number of channels (each channel filtered alike).</summary>
    /// <param name="source">Row-major samples, <c>sourceWidth × sourceHeight × channels</c> bytes.</param>
    /// <param name="sourceWidth">Input width, at least 1.</param>
    /// <param name="sourceHeight">Input height, at least 1.</param>
    /// <param name="channels">Samples per pixel, 1 to 4.</param>
    /// <param name="destination">Receives <c>width × height × channels</c> bytes.</param>
    /// <param name="width">Output width, at least 1.</param>
    /// <param name="height">Output height, at least 1.</param>
    /// <param name="filter">The kernel.</param>
    /// <exception cref="ArgumentException">A buffer length does not match its dimensions.</exception>
    public static void Resize(
        ReadOnlySpan<byte> source, int sourceWidth, int sourceHeight, int channels, Span<byte> destination, int width,
        int height, ResampleFilter filter)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(sourceHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(channels, 4);
        if (source.Length != (long)sourceWidth * sourceHeight * channels)
        {
            throw new ArgumentException(
                $"Source of {sourceWidth}×{sourceHeight}×{channels} needs {(long)sourceWidth * sourceHeight * channels} bytes, got {source.Length}.",
                nameof(source));
        }

        if (destination.Length != (long)width * height * channels)
        {
            throw new ArgumentException(
                $"Destination of {width}×{height}×{channels} needs {(long)width * height * channels} bytes, got {destination.Length}.",
                nameof(destination));
        }

        if (filter == ResampleFilter.Nearest)
        {
            ResizeNearest(source, sourceWidth, sourceHeight, channels, destination, width, height);
            return;
        }

        bool horizontal = width != sourceWidth;
        bool vertical = height != sourceHeight;
        if (!horizontal && !vertical)
        {
            source.CopyTo(destination);
            return;
        }

        ResampleKernel? vertKernel = vertical ? ResampleKernel.Create(sourceHeight, height, filter) : null;
        if (horizontal)
        {
            var horizKernel = ResampleKernel.Create(sourceWidth, width, filter);
            int firstRow = 0;
            int rowCount = sourceHeight;
            if (vertKernel is not null)
            {
                firstRow = vertKernel.First[0];
                rowCount = vertKernel.First[height - 1] + vertKernel.Count[height - 1] - firstRow;
            }

            if (!vertical)
            {
                ConvolveRows(source, sourceWidth, channels, firstRow, rowCount, horizKernel, destination, width);
                return;
            }

            var temp = new byte[(long)width * rowCount * channels];
            ConvolveRows(source, sourceWidth, channels, firstRow, rowCount, horizKernel, temp, width);
            ConvolveColumns(temp, width, channels, firstRow, vertKernel!, destination, height);
        }
        else
        {
            ConvolveColumns(source, width, channels, 0, vertKernel!, destination, height);
        }
    }

    private static void ConvolveRows(
        ReadOnlySpan<byte> source, int sourceWidth, int channels, int firstRow, int rowCount, ResampleKernel kernel,
        Span<byte> destination, int width)
    {
        int[] weights = kernel.Weights;
        int size = kernel.Size;
        const int half = 1 << (ResampleKernel.PrecisionBits - 1);
        for (int y = 0; y < rowCount; y++)
        {
            ReadOnlySpan<byte> inRow = source.Slice((firstRow + y) * sourceWidth * channels, sourceWidth * channels);
            Span<byte> outRow = destination.Slice(y * width * channels, width * channels);
            for (int xx = 0; xx < width; xx++)
            {
                int xmin = kernel.First[xx];
                int n = kernel.Count[xx];
                ReadOnlySpan<int> k = weights.AsSpan(xx * size, n);
                for (int c = 0; c < channels; c++)
                {
                    int sum = half;
                    int at = (xmin * channels) + c;
                    for (int x = 0; x < n; x++, at += channels)
                    {
                        sum += inRow[at] * k[x];
                    }

                    outRow[(xx * channels) + c] = Clip8(sum);
                }
            }
        }
    }

    private static void ConvolveColumns(
        ReadOnlySpan<byte> source, int width, int channels, int firstRow, ResampleKernel kernel, Span<byte> destination,
        int height)
    {
        int[] weights = kernel.Weights;
        int size = kernel.Size;
        int stride = width * channels;
        const int half = 1 << (ResampleKernel.PrecisionBits - 1);
        for (int yy = 0; yy < height; yy++)
        {
            int ymin = kernel.First[yy] - firstRow;
            int n = kernel.Count[yy];
            ReadOnlySpan<int> k = weights.AsSpan(yy * size, n);
            Span<byte> outRow = destination.Slice(yy * stride, stride);
            for (int i = 0; i < stride; i++)
            {
                int sum = half;
                int at = (ymin * stride) + i;
                for (int y = 0; y < n; y++, at += stride)
                {
                    sum += source[at] * k[y];
                }

                outRow[i] = Clip8(sum);
            }
        }
    }

    private static byte Clip8(int sum)
    {
        int v = sum >> ResampleKernel.PrecisionBits;
        return v < 0 ? (byte)0 : v > 255 ? (byte)255 : (byte)v;
    }

    private static void ResizeNearest(
        ReadOnlySpan<byte> source, int sourceWidth, int sourceHeight, int channels, Span<byte> destination, int width,
        int height)
    {
        double xScale = (double)sourceWidth / width;
        double yScale = (double)sourceHeight / height;
        for (int y = 0; y < height; y++)
        {
            int sy = Math.Min(sourceHeight - 1, (int)Math.Floor((y + 0.5) * yScale));
            for (int x = 0; x < width; x++)
            {
                int sx = Math.Min(sourceWidth - 1, (int)Math.Floor((x + 0.5) * xScale));
                source.Slice(((sy * sourceWidth) + sx) * channels, channels)
                    .CopyTo(destination.Slice(((y * width) + x) * channels, channels));
            }
        }
    }

    private static int FloorHalf(int value) => value >= 0 ? value / 2 : -((-value + 1) / 2);
}
