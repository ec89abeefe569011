using FmriToImage.Imaging;

namespace FmriToImage.Tests.Imaging;

public sealed class ImageTensorTests
{
    [Fact]
    public void Signed_unit_maps_bytes_to_minus_one_one_and_back()
    {
        var image = new RgbImage(256, 1);
        for (int x = 0; x < 256; x++)
        {
            image.SetPixel(x, 0, (byte)x, (byte)(255 - x), 128);
        }

        var tensor = ImageTensor.ToNchw([image], ImageNormalization.SignedUnit);
        float[] flat = new float[tensor.FlattenedLength];
        tensor.FlattenTo(flat);
        Assert.Equal(-1f, flat[0], 6);
        Assert.Equal(1f, flat[255], 6);
        Assert.Equal(1f, flat[256], 6); // green plane starts at 255
        Assert.Equal((2 * 128 / 255f) - 1, flat[512], 6);
        RgbImage back = ImageTensor.FromNchw(tensor, ImageNormalization.SignedUnit)[0];
        Assert.Equal(image.PixelArray, back.PixelArray);
    }

    [Fact]
    public void Inverse_clamps_and_rounds_half_to_even()
    {
        var n = ImageNormalization.Unit;
        Assert.Equal(0, n.Inverse(-3f, 0));
        Assert.Equal(255, n.Inverse(7f, 1));
        Assert.Equal(0, n.Inverse(float.NaN, 2));
        Assert.Equal(2, n.Inverse(2.5f / 255f, 0)); // 2.5 → 2 (numpy round)
    }

    [Fact]
    public void Batch_of_mixed_sizes_is_rejected()
    {
        var e = Assert.Throws<ArgumentException>(
            () => ImageTensor.ToNchw([new RgbImage(2, 2), new RgbImage(3, 2)], ImageNormalization.Unit));
        Assert.Contains("Image 1 is 3×2", e.Message);
    }

    [Fact]
    public void Clip_preset_matches_its_cited_numbers()
    {
        Assert.Equal([0.48145466f, 0.4578275f, 0.40821073f], ImageNormalization.OpenAiClip.Mean);
        Assert.Equal([0.26862954f, 0.26130258f, 0.27577711f], ImageNormalization.OpenAiClip.Std);
    }
}
