using System.Text.Json;
using FmriToImage.Imaging;

namespace FmriToImage.Tests.Imaging;

/// <summary>
/// Resizing and cropping against PIL 9.4's Image.resize and transformers' center_crop rule, fixtures from
/// tests/fixtures/imaging/make_imaging_fixtures.py. The tolerance is max |diff| ≤ 1 on uint8; the fixed-point
/// arithmetic is PIL's, so the observed difference is reported too.
/// </summary>
public sealed class ImageResamplerTests
{
    public static TheoryData<string> ResizeCases()
    {
        var data = new TheoryData<string>();
        foreach (JsonElement e in ImagingFixtures.Manifest("resample").GetProperty("resize").EnumerateArray())
        {
            data.Add(e.GetProperty("name").GetString()!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ResizeCases))]
    public void Resize_matches_pil(string name)
    {
        JsonElement c = ImagingFixtures.Manifest("resample").GetProperty("resize").EnumerateArray()
            .Single(e => e.GetProperty("name").GetString() == name);
        RgbImage source = ImagingFixtures.LoadResample(c.GetProperty("source").GetString()!);
        RgbImage expected = ImagingFixtures.LoadResample(name);
        RgbImage actual = ImageResampler.Resize(
            source, c.GetProperty("width").GetInt32(), c.GetProperty("height").GetInt32(),
            (ResampleFilter)c.GetProperty("filter").GetInt32());
        Assert.Equal(expected.Width, actual.Width);
        Assert.Equal(expected.Height, actual.Height);
        Assert.InRange(ImagingFixtures.MaxAbsDifference(expected.Pixels, actual.Pixels), 0, 1);
    }

    [Fact]
    public void Bicubic_and_bilinear_match_pil_exactly()
    {
        int compared = 0;
        foreach (JsonElement c in ImagingFixtures.Manifest("resample").GetProperty("resize").EnumerateArray())
        {
            var filter = (ResampleFilter)c.GetProperty("filter").GetInt32();
            if (filter is not (ResampleFilter.Bicubic or ResampleFilter.Bilinear or ResampleFilter.Box))
            {
                continue;
            }

            RgbImage source = ImagingFixtures.LoadResample(c.GetProperty("source").GetString()!);
            RgbImage expected = ImagingFixtures.LoadResample(c.GetProperty("name").GetString()!);
            RgbImage actual = ImageResampler.Resize(source, expected.Width, expected.Height, filter);
            Assert.Equal(expected.PixelArray, actual.PixelArray);
            compared++;
        }

        Assert.Equal(21, compared);
    }

    [Theory]
    [InlineData("src_97x61", 50, 20)]
    [InlineData("src_97x61", 96, 60)]
    [InlineData("src_40x53", 45, 60)]
    public void Center_crop_matches_transformers_rule_including_padding(string source, int width, int height)
    {
        RgbImage actual = ImageResampler.CenterCrop(ImagingFixtures.LoadResample(source), width, height);
        Assert.Equal(ImagingFixtures.LoadResample($"{source}_crop_{width}x{height}").PixelArray, actual.PixelArray);
    }

    [Theory]
    [InlineData(300, 180, 224, 373, 224)]
    [InlineData(40, 53, 224, 224, 296)]
    [InlineData(100, 100, 224, 224, 224)]
    public void Shortest_edge_size_truncates_the_long_side(int w, int h, int size, int ew, int eh) =>
        Assert.Equal((ew, eh), ImageResampler.ShortestEdgeSize(w, h, size));

    [Fact]
    public void Same_size_resize_is_a_copy()
    {
        RgbImage source = ImagingFixtures.LoadResample("src_40x53");
        RgbImage copy = ImageResampler.Resize(source, 40, 53, ResampleFilter.Bicubic);
        Assert.NotSame(source.PixelArray, copy.PixelArray);
        Assert.Equal(source.PixelArray, copy.PixelArray);
    }

    [Fact]
    public void Constant_image_stays_constant_under_every_filter()
    {
        var image = new RgbImage(17, 9);
        image.Fill(200, 10, 99);
        foreach (ResampleFilter filter in Enum.GetValues<ResampleFilter>())
        {
            RgbImage resized = ImageResampler.Resize(image, 5, 31, filter);
            for (int i = 0; i < resized.Pixels.Length; i += 3)
            {
                Assert.Equal((200, 10, 99), (resized.Pixels[i], resized.Pixels[i + 1], resized.Pixels[i + 2]));
            }
        }
    }

    [Fact]
    public void Span_overload_validates_buffer_lengths()
    {
        var e = Assert.Throws<ArgumentException>(
            () => ImageResampler.Resize(new byte[11], 2, 2, 3, new byte[12], 2, 2, ResampleFilter.Bilinear));
        Assert.Contains("12", e.Message);
    }
}
