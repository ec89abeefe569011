using System.Text.Json;
using FmriToImage.Imaging;
using FmriToImage.Imaging.Png;

namespace FmriToImage.Tests.Imaging;

/// <summary>
/// Decoding against tests/fixtures/imaging/make_imaging_fixtures.py: every colour type, bit depth 1-16, plain and
/// Adam7, all filter types, IDAT split into 23-byte chunks, tRNS, skipped ancillary chunks, and files written by PIL's
/// own encoder. Expected samples are the arrays the script encoded (and PIL decoded identically).
/// </summary>
public sealed class PngDecoderTests
{
    public static TheoryData<string> Names => ImagingFixtures.PngNames();

    [Theory]
    [MemberData(nameof(Names))]
    public void Decodes_fixture_samples_exactly(string name)
    {
        JsonElement entry = ImagingFixtures.Manifest("png").EnumerateArray()
            .Single(e => e.GetProperty("name").GetString() == name);
        PngImage png = PngDecoder.Decode(ImagingFixtures.Png(name + ".png"));

        Assert.Equal(entry.GetProperty("width").GetInt32(), png.Width);
        Assert.Equal(entry.GetProperty("height").GetInt32(), png.Height);
        Assert.Equal(entry.GetProperty("colorType").GetInt32(), (int)png.ColorType);
        Assert.Equal(entry.GetProperty("bitDepth").GetInt32(), png.BitDepth);
        Assert.Equal(entry.GetProperty("interlaced").GetBoolean(), png.Interlaced);
        Assert.Equal(ImagingFixtures.ReadU16(ImagingFixtures.Png(name + ".u16")), png.Samples);

        if (entry.GetProperty("palette").ValueKind == JsonValueKind.Array)
        {
            byte[] palette = entry.GetProperty("palette").EnumerateArray().Select(v => (byte)v.GetInt32()).ToArray();
            Assert.Equal(palette, png.Palette![..palette.Length]);
        }

        if (entry.GetProperty("paletteAlpha").ValueKind == JsonValueKind.Array)
        {
            Assert.Equal(
                entry.GetProperty("paletteAlpha").EnumerateArray().Select(v => (byte)v.GetInt32()).ToArray(),
                png.PaletteAlpha);
        }

        if (entry.GetProperty("transparentColor").ValueKind == JsonValueKind.Array)
        {
            Assert.Equal(
                entry.GetProperty("transparentColor").EnumerateArray().Select(v => (ushort)v.GetInt32()).ToArray(),
                png.TransparentColor);
        }
    }

    [Fact]
    public void Interlaced_and_plain_files_of_one_kind_decode_to_their_own_samples()
    {
        // Same colour type/depth/size, different encodings: each must match its own expected samples.
        var plain = PngDecoder.Decode(ImagingFixtures.Png("ct6_d16_plain_13x11.png"));
        var adam7 = PngDecoder.Decode(ImagingFixtures.Png("ct6_d16_adam7_13x11.png"));
        Assert.False(plain.Interlaced);
        Assert.True(adam7.Interlaced);
        Assert.Equal(13 * 11 * 4, adam7.Samples.Length);
    }

    [Fact]
    public void Converts_sub_byte_grey_to_full_range_rgb()
    {
        PngImage png = PngDecoder.Decode(ImagingFixtures.Png("ct0_d2_plain_13x11.png"));
        RgbImage rgb = png.ToRgbImage();
        for (int i = 0; i < png.Samples.Length; i++)
        {
            byte expected = (byte)(png.Samples[i] * 85);
            Assert.Equal(expected, rgb.Pixels[3 * i]);
            Assert.Equal(expected, rgb.Pixels[(3 * i) + 2]);
        }
    }

    [Fact]
    public void Converts_16_bit_rgb_by_rounding_to_8_bits()
    {
        PngImage png = PngDecoder.Decode(ImagingFixtures.Png("ct2_d16_plain_13x11.png"));
        RgbImage rgb = png.ToRgbImage();
        for (int i = 0; i < png.Samples.Length; i++)
        {
            Assert.Equal((byte)Math.Round(png.Samples[i] / 257.0, MidpointRounding.AwayFromZero), rgb.Pixels[i]);
        }
    }

    [Fact]
    public void Applies_palette_and_its_transparency_in_rgba()
    {
        PngImage png = PngDecoder.Decode(ImagingFixtures.Png("ct3_d8_plain_13x11.png"));
        byte[] rgba = png.ToRgba32();
        for (int p = 0; p < png.Width * png.Height; p++)
        {
            int index = png.Samples[p];
            Assert.Equal(png.Palette![index * 3], rgba[4 * p]);
            Assert.Equal(png.Palette[(index * 3) + 2], rgba[(4 * p) + 2]);
            byte alpha = index < png.PaletteAlpha!.Length ? png.PaletteAlpha[index] : (byte)255;
            Assert.Equal(alpha, rgba[(4 * p) + 3]);
        }
    }

    [Fact]
    public void Grey_key_colour_becomes_transparent()
    {
        PngImage png = PngDecoder.Decode(ImagingFixtures.Png("ct0_d8_plain_13x11.png"));
        byte[] rgba = png.ToRgba32();
        ushort key = png.TransparentColor![0];
        for (int p = 0; p < png.Samples.Length; p++)
        {
            Assert.Equal(png.Samples[p] == key ? 0 : 255, rgba[(4 * p) + 3]);
        }
    }

    [Fact]
    public void LoadPng_reads_pil_written_rgb()
    {
        RgbImage image = RgbImage.LoadPng(ImagingFixtures.Png("pil_RGB.png"));
        ushort[] expected = ImagingFixtures.ReadU16(ImagingFixtures.Png("pil_RGB.u16"));
        Assert.Equal(expected.Select(v => (byte)v).ToArray(), image.PixelArray);
    }
}
