using FmriToImage.Data.Npy;
using FmriToImage.Imaging;

namespace FmriToImage.Tests.Imaging;

/// <summary>JPEG input against PIL's decode: tests/fixtures/imaging/make_jpeg_fixtures.py.</summary>
public sealed class JpegDecoderTests
{
    [Theory]
    [InlineData("q90_420")]
    [InlineData("q95_444")]
    [InlineData("q75_422")]
    [InlineData("progressive")]
    [InlineData("optimized")]
    [InlineData("grey")]
    public void Decodes_byte_identically_to_pil(string name)
    {
        var expected = NpyFile.Read<byte>(TestFiles.Fixture("imaging", "jpeg", name + ".npy"));
        var image = RgbImage.Load(TestFiles.Fixture("imaging", "jpeg", name + ".jpg"));
        Assert.Equal((int)expected.Lengths[1], image.Width);
        Assert.Equal((int)expected.Lengths[0], image.Height);
        Assert.Equal(expected.ToArray(), image.PixelArray);
    }

    [Fact]
    public void A_truncated_jpeg_is_a_typed_error_naming_the_file()
    {
        var path = TestFiles.Fixture("imaging", "jpeg", "truncated.jpg");
        var e = Assert.Throws<ImageDecodeException>(() => RgbImage.Load(path));
        Assert.Contains("truncated.jpg", e.Message);
    }

    [Fact]
    public void Png_goes_to_the_projects_decoder_and_other_bytes_are_refused()
    {
        var png = new RgbImage(3, 2);
        png.SetPixel(1, 1, 10, 20, 30);
        Assert.Equal(png.PixelArray, RgbImage.Decode(png.ToPng()).PixelArray);
        var e = Assert.Throws<ImageDecodeException>(() => RgbImage.Decode([0x47, 0x49, 0x46, 0x38], "x.gif"));
        Assert.Contains("neither a PNG nor a JPEG", e.Message);
        Assert.Throws<ImageDecodeException>(() => RgbImage.Decode([0xFF, 0xD8, 0xFF, 0xE0, 0, 0], "header-only.jpg"));
    }
}
