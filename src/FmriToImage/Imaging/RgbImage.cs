using FmriToImage.Imaging.Png;

namespace FmriToImage.Imaging;

/// <summary>
/// An 8-bit RGB picture: <see cref="Width"/> × <see cref="Height"/> pixels stored row by row, top row first, three
/// bytes (red, green, blue) per pixel with no padding between rows.
/// </summary>
/// <remarks>
/// The pixel buffer is mutable and exposed through <see cref="Pixels"/>; an instance is not safe to write from several
/// threads at once, but any number of threads may read it concurrently.
/// </remarks>
public sealed class RgbImage
{
    /// <summary>Bytes per pixel (red, green, blue).</summary>
    public const int BytesPerPixel = 3;

    private readonly byte[] _pixels;

    /// <summary>Creates a black image.</summary>
    /// <param name="width">Width in pixels, at least 1.</param>
    /// <param name="height">Height in pixels, at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is below 1 or the pixel count overflows.</exception>
    public RgbImage(int width, int height)
    {
        _pixels = new byte[CheckedByteCount(width, height)];
        Width = width;
        Height = height;
    }

    /// <summary>Wraps an existing interleaved RGB buffer (not copied).</summary>
    /// <param name="width">Width in pixels, at least 1.</param>
    /// <param name="height">Height in pixels, at least 1.</param>
    /// <param name="pixels">Exactly <c>width × height × 3</c> bytes, row-major RGB.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is below 1.</exception>
    /// <exception cref="ArgumentException">The buffer length is not <c>width × height × 3</c>.</exception>
    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        long expected = CheckedByteCount(width, height);
        if (pixels.Length != expected)
        {
            throw new ArgumentException(
                $"Pixel buffer for a {width}×{height} RGB image must hold {expected} bytes, got {pixels.Length}.",
                nameof(pixels));
        }

        _pixels = pixels;
        Width = width;
        Height = height;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The interleaved RGB bytes, row-major, <c>Width × Height × 3</c> long.</summary>
    public Span<byte> Pixels => _pixels;

    /// <summary>The underlying array (the same memory as <see cref="Pixels"/>).</summary>
    public byte[] PixelArray => _pixels;

    /// <summary>One row of pixels, <c>Width × 3</c> bytes.</summary>
    /// <param name="y">Row index, 0 at the top.</param>
    /// <returns>The row's bytes.</returns>
    public Span<byte> Row(int y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(y);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
        return _pixels.AsSpan(y * Width * BytesPerPixel, Width * BytesPerPixel);
    }

    /// <summary>Reads one pixel.</summary>
    /// <param name="x">Column, 0 at the left.</param>
    /// <param name="y">Row, 0 at the top.</param>
    /// <returns>The pixel's red, green and blue bytes.</returns>
    public (byte R, byte G, byte B) GetPixel(int x, int y)
    {
        int i = PixelOffset(x, y);
        return (_pixels[i], _pixels[i + 1], _pixels[i + 2]);
    }

    /// <summary>Writes one pixel.</summary>
    /// <param name="x">Column, 0 at the left.</param>
    /// <param name="y">Row, 0 at the top.</param>
    /// <param name="r">Red.</param>
    /// <param name="g">Green.</param>
    /// <param name="b">Blue.</param>
    public void SetPixel(int x, int y, byte r, byte g, byte b)
    {
        int i = PixelOffset(x, y);
        _pixels[i] = r;
        _pixels[i + 1] = g;
        _pixels[i + 2] = b;
    }

    /// <summary>Fills every pixel with one colour.</summary>
    /// <param name="r">Red.</param>
    /// <param name="g">Green.</param>
    /// <param name="b">Blue.</param>
    public void Fill(byte r, byte g, byte b)
    {
        for (int i = 0; i < _pixels.Length; i += 3)
        {
            _pixels[i] = r;
            _pixels[i + 1] = g;
            _pixels[i + 2] = b;
        }
    }

    /// <summary>A deep copy.</summary>
    /// <returns>A new image with its own pixel buffer.</returns>
    public RgbImage Clone() => new(Width, Height, (byte[])_pixels.Clone());

    /// <summary>Encodes the image as an 8-bit RGB PNG file (adaptive per-row filters, default compression).</summary>
    /// <param name="path">Destination file; overwritten if it exists.</param>
    public void SavePng(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var file = File.Create(path);
        PngEncoder.EncodeRgb(this, file);
    }

    /// <summary>Encodes the image as an 8-bit RGB PNG into a new byte array.</summary>
    /// <returns>The PNG file's bytes.</returns>
    public byte[] ToPng()
    {
        using var memory = new MemoryStream();
        PngEncoder.EncodeRgb(this, memory);
        return memory.ToArray();
    }

    /// <summary>
    /// Reads a PNG file of any standard colour type and bit depth and converts it to 8-bit RGB: grey is replicated,
    /// palettes are looked up, alpha and tRNS are dropped (as PIL's <c>convert("RGB")</c> does) and 16-bit samples
    /// are scaled to 8 bits with rounding.
    /// </summary>
    /// <param name="path">The PNG file.</param>
    /// <returns>The decoded image.</returns>
    /// <exception cref="MalformedFileException">The file is not a valid PNG.</exception>
    public static RgbImage LoadPng(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return PngDecoder.Decode(File.ReadAllBytes(path), path).ToRgbImage();
    }

    /// <summary>
    /// Reads a ground-truth image as a lab has it: a JPEG (COCO stimuli; decoded byte-identically to PIL through
    /// SkiaSharp) or a PNG (the project's decoder, <see cref="LoadPng(string)"/>), told apart by their signatures.
    /// </summary>
    /// <param name="path">The image file.</param>
    /// <returns>The decoded image, 8-bit RGB.</returns>
    /// <exception cref="MalformedFileException">The file is neither a PNG nor a decodable JPEG, or is a malformed PNG.</exception>
    public static RgbImage Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>Decodes PNG or JPEG bytes as <see cref="Load(string)"/> does.</summary>
    /// <param name="bytes">The file's bytes.</param>
    /// <param name="source">A name for the bytes in error messages.</param>
    /// <returns>The decoded image.</returns>
    /// <exception cref="MalformedFileException">The bytes are neither a PNG nor a decodable JPEG, or are a malformed PNG.</exception>
    public static RgbImage Decode(byte[] bytes, string source = "image bytes")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (JpegDecoder.IsJpeg(bytes))
        {
            return JpegDecoder.Decode(bytes, source);
        }

        ReadOnlySpan<byte> pngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        return bytes.AsSpan().StartsWith(pngSignature)
            ? PngDecoder.Decode(bytes, source).ToRgbImage()
            : throw new ImageDecodeException(source, $"neither a PNG nor a JPEG (first bytes {Convert.ToHexString(bytes.AsSpan(0, Math.Min(8, bytes.Length)))})");
    }

    /// <summary>Decodes PNG bytes to 8-bit RGB as <see cref="LoadPng(string)"/> does.</summary>
    /// <param name="png">The PNG file's bytes.</param>
    /// <returns>The decoded image.</returns>
    /// <exception cref="MalformedFileException">The bytes are not a valid PNG.</exception>
    public static RgbImage FromPng(ReadOnlySpan<byte> png) => PngDecoder.Decode(png).ToRgbImage();

    private int PixelOffset(int x, int y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(x);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(x, Width);
        ArgumentOutOfRangeException.ThrowIfNegative(y);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Height);
        return ((y * Width) + x) * BytesPerPixel;
    }

    private static int CheckedByteCount(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        long bytes = (long)width * height * BytesPerPixel;
        if (bytes > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(
                nameof(width), $"A {width}×{height} RGB image needs {bytes} bytes, more than one array can hold.");
        }

        return (int)bytes;
    }
}
