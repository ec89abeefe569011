namespace FmriToImage.Imaging.Png;

/// <summary>
/// A decoded PNG exactly as stored: header fields, one unsigned sample per channel per pixel at the file's bit depth
/// (palette images keep their indices), the palette and the transparency information.
/// </summary>
/// <remarks>Immutable after decoding except through the exposed arrays; safe to read from several threads.</remarks>
internal sealed class PngImage
{
    internal PngImage(
        int width, int height, PngColorType colorType, int bitDepth, bool interlaced, ushort[] samples,
        byte[]? palette, byte[]? paletteAlpha, ushort[]? transparentColor)
    {
        Width = width;
        Height = height;
        ColorType = colorType;
        BitDepth = bitDepth;
        Interlaced = interlaced;
        Samples = samples;
        Palette = palette;
        PaletteAlpha = paletteAlpha;
        TransparentColor = transparentColor;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>The colour type from IHDR.</summary>
    public PngColorType ColorType { get; }

    /// <summary>Bits per sample from IHDR (1, 2, 4, 8 or 16).</summary>
    public int BitDepth { get; }

    /// <summary>Whether the file used Adam7 interlacing (samples are always returned de-interlaced).</summary>
    public bool Interlaced { get; }

    /// <summary>Samples per pixel for <see cref="ColorType"/>: 1, 2, 3 or 4.</summary>
    public int Channels => ChannelCount(ColorType);

    /// <summary>
    /// Row-major samples, <c>Width × Height × Channels</c> long, each the raw value at <see cref="BitDepth"/>
    /// (0 … 2^depth − 1); palette images hold indices.
    /// </summary>
    public ushort[] Samples { get; }

    /// <summary>PLTE entries as RGB triples (length a multiple of 3), or <c>null</c> when the file has none.</summary>
    public byte[]? Palette { get; }

    /// <summary>Alpha per palette entry from tRNS (entries beyond its length are opaque), or <c>null</c>.</summary>
    public byte[]? PaletteAlpha { get; }

    /// <summary>The tRNS key colour for grey (1 value) or RGB (3 values) images, or <c>null</c>.</summary>
    public ushort[]? TransparentColor { get; }

    /// <summary>
    /// Converts to 8-bit RGB: grey replicated, palette looked up, alpha and tRNS dropped (as PIL's
    /// <c>convert("RGB")</c>), sub-byte samples scaled by 255 / (2^depth − 1), 16-bit samples by round(v / 257).
    /// </summary>
    /// <returns>A new image.</returns>
    public RgbImage ToRgbImage()
    {
        byte[] rgba = ToRgba32();
        var pixels = new byte[Width * Height * 3];
        for (int p = 0, q = 0; q < pixels.Length; p += 4, q += 3)
        {
            pixels[q] = rgba[p];
            pixels[q + 1] = rgba[p + 1];
            pixels[q + 2] = rgba[p + 2];
        }

        return new RgbImage(Width, Height, pixels);
    }

    /// <summary>
    /// Converts to interleaved 8-bit RGBA (<c>Width × Height × 4</c> bytes), applying tRNS: a palette entry's alpha,
    /// or alpha 0 where a grey/RGB sample equals the key colour at full precision.
    /// </summary>
    /// <returns>The RGBA bytes.</returns>
    public byte[] ToRgba32()
    {
        int pixelCount = Width * Height;
        var rgba = new byte[pixelCount * 4];
        int channels = Channels;
        ushort[] s = Samples;
        for (int p = 0; p < pixelCount; p++)
        {
            int i = p * channels;
            int o = p * 4;
            switch (ColorType)
            {
                case PngColorType.Grey:
                {
                    byte g = To8Bit(s[i]);
                    rgba[o] = rgba[o + 1] = rgba[o + 2] = g;
                    rgba[o + 3] = TransparentColor is not null && s[i] == TransparentColor[0] ? (byte)0 : (byte)255;
                    break;
                }

                case PngColorType.GreyAlpha:
                {
                    byte g = To8Bit(s[i]);
                    rgba[o] = rgba[o + 1] = rgba[o + 2] = g;
                    rgba[o + 3] = To8Bit(s[i + 1]);
                    break;
                }

                case PngColorType.Rgb:
                    rgba[o] = To8Bit(s[i]);
                    rgba[o + 1] = To8Bit(s[i + 1]);
                    rgba[o + 2] = To8Bit(s[i + 2]);
                    rgba[o + 3] = TransparentColor is not null && s[i] == TransparentColor[0]
                        && s[i + 1] == TransparentColor[1] && s[i + 2] == TransparentColor[2] ? (byte)0 : (byte)255;
                    break;
                case PngColorType.Rgba:
                    rgba[o] = To8Bit(s[i]);
                    rgba[o + 1] = To8Bit(s[i + 1]);
                    rgba[o + 2] = To8Bit(s[i + 2]);
                    rgba[o + 3] = To8Bit(s[i + 3]);
                    break;
                case PngColorType.Palette:
                {
                    // The decoder has checked every index against the palette length.
                    int index = s[i];
                    rgba[o] = Palette![index * 3];
                    rgba[o + 1] = Palette[(index * 3) + 1];
                    rgba[o + 2] = Palette[(index * 3) + 2];
                    rgba[o + 3] = PaletteAlpha is not null && index < PaletteAlpha.Length ? PaletteAlpha[index] : (byte)255;
                    break;
                }
            }
        }

        return rgba;
    }

    internal static int ChannelCount(PngColorType colorType) => colorType switch
    {
        PngColorType.Grey => 1,
        PngColorType.GreyAlpha => 2,
        PngColorType.Rgb => 3,
        PngColorType.Rgba => 4,
        _ => 1,
    };

    private byte To8Bit(ushort value) => BitDepth switch
    {
        1 => (byte)(value * 255),
        2 => (byte)(value * 85),
        4 => (byte)(value * 17),
        8 => (byte)value,
        _ => (byte)(((value * 255) + 32767) / 65535),
    };
}
