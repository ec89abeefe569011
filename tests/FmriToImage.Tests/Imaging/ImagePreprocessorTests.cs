using FmriToImage.Imaging;

namespace FmriToImage.Tests.Imaging;

/// <summary>
/// CLIP and BLIP preprocessing driven by preprocessor_config.json text as published for openai/clip-vit-large-patch14
/// and Salesforce/blip-image-captioning-base, compared with the PIL + numpy re-implementation of transformers'
/// CLIPImageProcessor / BlipImageProcessor in tests/fixtures/imaging/make_imaging_fixtures.py.
/// </summary>
public sealed class ImagePreprocessorTests
{
    // The field layout of openai/clip-vit-large-patch14's preprocessor_config.json (legacy integer sizes).
    internal const string ClipConfigJson = """
        {
          "crop_size": 224, "do_center_crop": true, "do_normalize": true, "do_resize": true,
          "feature_extractor_type": "CLIPFeatureExtractor",
          "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
          "resample": 3, "size": 224
        }
        """;

    // The field layout of Salesforce/blip-image-captioning-base's preprocessor_config.json.
    internal const string BlipConfigJson = """
        {
          "do_normalize": true, "do_resize": true, "do_rescale": true, "image_processor_type": "BlipImageProcessor",
          "image_mean": [0.48145466, 0.4578275, 0.40821073], "image_std": [0.26862954, 0.26130258, 0.27577711],
          "processor_class": "BlipProcessor", "resample": 3, "rescale_factor": 0.00392156862745098,
          "size": {"height": 384, "width": 384}
        }
        """;

    [Theory]
    [InlineData("src_97x61")]
    [InlineData("src_40x53")]
    [InlineData("src_300x180")]
    public void Clip_geometry_matches_reference(string source)
    {
        var pre = new ImagePreprocessor(PreprocessorConfig.Parse(ClipConfigJson));
        RgbImage actual = pre.Prepare(ImagingFixtures.LoadResample(source));
        RgbImage expected = ImagingFixtures.LoadResample(source + "_clip224");
        Assert.Equal((224, 224), (actual.Width, actual.Height));
        Assert.InRange(ImagingFixtures.MaxAbsDifference(expected.Pixels, actual.Pixels), 0, 1);
    }

    [Theory]
    [InlineData("src_40x53")]
    [InlineData("src_300x180")]
    public void Blip_geometry_matches_reference(string source)
    {
        var pre = new ImagePreprocessor(PreprocessorConfig.Parse(BlipConfigJson));
        RgbImage actual = pre.Prepare(ImagingFixtures.LoadResample(source));
        RgbImage expected = ImagingFixtures.LoadResample(source + "_blip384");
        Assert.InRange(ImagingFixtures.MaxAbsDifference(expected.Pixels, actual.Pixels), 0, 1);
    }

    [Fact]
    public void Clip_pixel_values_match_reference_floats()
    {
        var pre = new ImagePreprocessor(PreprocessorConfig.Parse(ClipConfigJson));
        var tensor = pre.Process([ImagingFixtures.LoadResample("src_97x61")]);
        Assert.Equal([1, 3, 224, 224], tensor.Lengths.ToArray().Select(v => (int)v));
        byte[] raw = File.ReadAllBytes(ImagingFixtures.Resample("src_97x61_clip224.f32"));
        float[] expected = new float[raw.Length / 4];
        Buffer.BlockCopy(raw, 0, expected, 0, raw.Length);
        float[] actual = new float[tensor.FlattenedLength];
        tensor.FlattenTo(actual);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-5f, $"index {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    [Fact]
    public void Output_size_follows_config()
    {
        var clip = new ImagePreprocessor(PreprocessorConfig.Parse(ClipConfigJson));
        var blip = new ImagePreprocessor(PreprocessorConfig.Parse(BlipConfigJson));
        Assert.Equal((224, 224), clip.OutputSize(640, 480));
        Assert.Equal((384, 384), blip.OutputSize(640, 480));
    }
}
