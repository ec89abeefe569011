using FmriToImage.Imaging;

namespace FmriToImage.Tests.Imaging;

public sealed class PreprocessorConfigTests
{
    [Fact]
    public void Legacy_clip_file_means_shortest_edge_and_square_crop()
    {
        var c = PreprocessorConfig.Parse(ImagePreprocessorTests.ClipConfigJson);
        Assert.Equal(224, c.ShortestEdge);
        Assert.Null(c.ResizeTo);
        Assert.True(c.DoCenterCrop);
        Assert.Equal((224, 224), c.CropSize);
        Assert.Equal(ResampleFilter.Bicubic, c.Resample);
        Assert.Equal(1f / 255f, c.RescaleFactor);
        Assert.Equal([0.48145466f, 0.4578275f, 0.40821073f], c.ImageMean);
    }

    [Fact]
    public void Current_clip_file_with_dictionary_sizes()
    {
        var c = PreprocessorConfig.Parse("""
            {"crop_size": {"height": 224, "width": 224}, "do_center_crop": true, "do_convert_rgb": true,
             "do_normalize": true, "do_rescale": true, "do_resize": true,
             "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_processor_type": "CLIPImageProcessor",
             "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3,
             "rescale_factor": 0.00392156862745098, "size": {"shortest_edge": 224}}
            """);
        Assert.Equal(224, c.ShortestEdge);
        Assert.Equal((224, 224), c.CropSize);
        var n = ImageNormalization.FromConfig(c);
        Assert.Equal((0 - 0.48145466f) / 0.26862954f, n.Forward(0, 0), 5);
    }

    [Fact]
    public void Blip_file_means_exact_square_without_crop()
    {
        var c = PreprocessorConfig.Parse(ImagePreprocessorTests.BlipConfigJson);
        Assert.Null(c.ShortestEdge);
        Assert.Equal((384, 384), c.ResizeTo);
        Assert.False(c.DoCenterCrop);
    }

    [Fact]
    public void Integer_size_for_a_non_clip_processor_is_a_square()
    {
        var c = PreprocessorConfig.Parse("""{"image_processor_type": "BlipImageProcessor", "size": 384, "resample": 2}""");
        Assert.Equal((384, 384), c.ResizeTo);
        Assert.Equal(ResampleFilter.Bilinear, c.Resample);
    }

    [Theory]
    [InlineData("not json", "line 1")]
    [InlineData("[1, 2]", "JSON object")]
    [InlineData("""{"size": "big"}""", "size")]
    [InlineData("""{"size": 224, "image_mean": [0.5, 0.5]}""", "image_mean")]
    [InlineData("""{"size": 224, "image_std": [0.5, 0, 0.5]}""", "image_std")]
    [InlineData("""{"size": 224, "resample": 9}""", "resample")]
    [InlineData("""{"size": 224, "do_center_crop": true}""", "crop_size")]
    [InlineData("""{"do_resize": true}""", "size")]
    [InlineData("""{"size": {"longest_edge": 3}}""", "shortest_edge")]
    [InlineData("""{"size": 224, "do_rescale": "yes"}""", "do_rescale")]
    public void Malformed_fields_name_the_field(string json, string mention)
    {
        var e = Assert.Throws<PreprocessorConfigException>(() => PreprocessorConfig.Parse(json, "bundle/preprocessor_config.json"));
        Assert.Contains("bundle/preprocessor_config.json", e.Message);
        Assert.Contains(mention, e.Message);
    }

    [Fact]
    public void Missing_file_is_named()
    {
        var e = Assert.Throws<PreprocessorConfigException>(() => PreprocessorConfig.Load("/no/such/preprocessor_config.json"));
        Assert.Contains("/no/such/preprocessor_config.json", e.Message);
    }
}
