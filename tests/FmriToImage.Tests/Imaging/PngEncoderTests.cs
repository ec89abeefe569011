using FmriToImage.Imaging;
using FmriToImage.Imaging.Png;

namespace FmriToImage.Tests.Imaging;

/// <summary>
/// Encoder round trips, and the PIL check of committed encoder outputs: with FMRI2IMG_REGENERATE_FIXTURES=1 the
/// test writes tests/fixtures/imaging/encode/ours_*.png (in the source tree), and
/// tests/fixtures/imaging/make_imaging_fixtures.py then verifies that PIL decodes each to the source pixels.
/// </summary>
public sealed class PngEncoderTests
{
    private static readonly (string Name, int Width, int Height, PngColorType Type)[] Sources =
    [
        ("source_rgb_37x23", 37, 23, PngColorType.Rgb),
        ("source_rgba_16x9", 16, 9, PngColorType.Rgba),
        ("source_rgb_1x1", 1, 1, PngColorType.Rgb),
    ];

    public static TheoryData<string> FilterNames => new(["adaptive", "None", "Sub", "Up", "Average", "Paeth"]);

    [Theory]
    [MemberData(nameof(FilterNames))]
    public void Round_trips_every_filter_and_colour_type(string filterName)
    {
        foreach (var (name, width, height, type) in Sources)
        {
            byte[] pixels = File.ReadAllBytes(ImagingFixtures.Encode(name + ".u8"));
            byte[] png = Encode(pixels, width, height, type, filterName);
            PngImage decoded = PngDecoder.Decode(png);
            Assert.Equal(type, decoded.ColorType);
            Assert.Equal(8, decoded.BitDepth);
            Assert.Equal(pixels, decoded.Samples.Select(s => (byte)s).ToArray());
        }
    }

    [Fact]
    public void Committed_encoder_outputs_decode_to_their_sources()
    {
        string? sourceTree = Environment.GetEnvironmentVariable("FMRI2IMG_REGENERATE_FIXTURES") == "1"
            ? FindSourceFixtureDirectory()
            : null;
        int checkedFiles = 0;
        foreach (var (name, width, height, type) in Sources)
        {
            byte[] pixels = File.ReadAllBytes(ImagingFixtures.Encode(name + ".u8"));
            foreach (string filterName in new[] { "adaptive", "Paeth" })
            {
                string file = $"ours_{name}_{filterName}.png";
                if (sourceTree is not null)
                {
                    File.WriteAllBytes(Path.Combine(sourceTree, file), Encode(pixels, width, height, type, filterName));
                }

                string committed = ImagingFixtures.Encode(file);
                if (File.Exists(committed))
                {
                    Assert.Equal(pixels, PngDecoder.Decode(committed).Samples.Select(s => (byte)s).ToArray());
                    checkedFiles++;
                }
            }
        }

        Assert.True(sourceTree is not null || checkedFiles == 6, $"expected 6 committed encoder outputs, found {checkedFiles}");
    }

    [Fact]
    public void Splits_large_streams_into_several_idat_chunks()
    {
        var image = new RgbImage(64, 64);
        new Random(3).NextBytes(image.Pixels);
        using var memory = new MemoryStream();
        PngEncoder.EncodeRgb(image, memory, new PngEncoderOptions { IdatChunkSize = 1000 });
        byte[] png = memory.ToArray();
        int idats = 0;
        for (int i = 0; i + 4 <= png.Length; i++)
        {
            if (png[i] == 'I' && png[i + 1] == 'D' && png[i + 2] == 'A' && png[i + 3] == 'T')
            {
                idats++;
            }
        }

        Assert.True(idats > 5, $"{idats} IDAT chunks");
        Assert.Equal(image.PixelArray, RgbImage.FromPng(png).PixelArray);
    }

    [Fact]
    public void SavePng_and_LoadPng_round_trip_through_a_file()
    {
        var image = new RgbImage(5, 3);
        image.SetPixel(4, 2, 1, 2, 3);
        image.SetPixel(0, 0, 250, 128, 7);
        string path = Path.Combine(Path.GetTempPath(), $"fmri2img-{Guid.NewGuid():N}.png");
        try
        {
            image.SavePng(path);
            Assert.Equal(image.PixelArray, RgbImage.LoadPng(path).PixelArray);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Rejects_a_buffer_of_the_wrong_length()
    {
        using var memory = new MemoryStream();
        var e = Assert.Throws<ArgumentException>(() => PngEncoder.Encode(new byte[10], 2, 2, PngColorType.Rgb, memory));
        Assert.Contains("12", e.Message);
    }

    private static byte[] Encode(byte[] pixels, int width, int height, PngColorType type, string filterName)
    {
        var options = new PngEncoderOptions
        {
            Filter = filterName == "adaptive" ? null : Enum.Parse<PngRowFilter>(filterName),
            IdatChunkSize = 97,
        };
        using var memory = new MemoryStream();
        PngEncoder.Encode(pixels, width, height, type, memory, options);
        return memory.ToArray();
    }

    private static string FindSourceFixtureDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "fixtures", "imaging", "encode");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException("tests/fixtures/imaging/encode not found above the test assembly");
    }
}
