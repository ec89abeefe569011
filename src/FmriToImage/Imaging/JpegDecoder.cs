using SkiaSharp;

namespace FmriToImage.Imaging;

/// <summary>
/// JPEG input through Skia (SkiaSharp with its self-contained Linux native assets): the decode is byte-identical to
/// PIL's (libjpeg-turbo's default IDCT and upsampling), which is what the published evaluation code read COCO stimuli
/// with. No colour management and no EXIF rotation are applied, as PIL's <c>Image.open(…).convert("RGB")</c> applies
/// none. docs/dependencies.md has the measurements behind the choice.
/// </summary>
internal static class JpegDecoder
{
    /// <summary>The largest image accepted (a decompression bomb ends in a typed error, not an allocation of gigabytes).</summary>
    public const long MaxPixels = 1L << 28;

    /// <summary>Whether <paramref name="bytes"/> start with a JPEG's SOI marker.</summary>
    public static bool IsJpeg(ReadOnlySpan<byte> bytes) => bytes.Length >= 3 && bytes[0] == 0xFF && bytes[1] == 0xD8 && bytes[2] == 0xFF;

    /// <summary>Decodes a JPEG to 8-bit RGB.</summary>
    /// <param name="bytes">The file's bytes.</param>
    /// <param name="source">A name for error messages.</param>
    /// <returns>The image.</returns>
    /// <exception cref="ImageDecodeException">The bytes are not a complete, decodable JPEG, or it is too large.</exception>
    public static RgbImage Decode(byte[] bytes, string source)
    {
        using var stream = new SKMemoryStream(bytes);
        using var codec = SKCodec.Create(stream, out var created);
        if (codec is null || created != SKCodecResult.Success)
        {
            throw new ImageDecodeException(source, $"not a decodable JPEG ({created})");
        }

        int width = codec.Info.Width, height = codec.Info.Height;
        if (width < 1 || height < 1 || (long)width * height > MaxPixels)
        {
            throw new ImageDecodeException(source, $"{width}×{height} pixels; at most {MaxPixels} are accepted");
        }

        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[(long)width * height * 4];
        SKCodecResult result;
        unsafe
        {
            fixed (byte* pixels = rgba)
            {
                result = codec.GetPixels(info, (nint)pixels);
            }
        }

        if (result != SKCodecResult.Success)
        {
            throw new ImageDecodeException(source, result == SKCodecResult.IncompleteInput ? "truncated: the JPEG data end before the last scanline" : $"the JPEG data are corrupt ({result})");
        }

        var rgb = new byte[width * height * 3];
        for (int i = 0, o = 0; o < rgb.Length; i += 4, o += 3)
        {
            rgb[o] = rgba[i];
            rgb[o + 1] = rgba[i + 1];
            rgb[o + 2] = rgba[i + 2];
        }

        return new RgbImage(width, height, rgb);
    }
}
