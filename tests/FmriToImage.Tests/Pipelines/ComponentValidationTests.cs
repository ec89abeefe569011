using System.Text.Json.Nodes;
using FmriToImage.Bundle;
using FmriToImage.Tests.Bundle;

namespace FmriToImage.Tests.Pipelines;

/// <summary>Load-time checks of <c>ComponentValidation</c> not covered with the component they concern.</summary>
public sealed class ComponentValidationTests
{
    /// <summary>
    /// The tiny bundle's captioner takes fixed 32 × 32 <c>pixel_values</c> and its images are 32 × 32 (latent 4 × 4, VAE
    /// factor 8); its preprocessor config has resizing off. A config whose resize or crop gives the vision encoder
    /// another size failed at the first caption (ONNX Runtime refusing the input); it is refused at load, naming the
    /// file, the size the graph takes and the size the images come out.
    /// </summary>
    [Theory]
    [InlineData("""{"do_resize": false, "do_center_crop": true, "crop_size": {"height": 16, "width": 16}}""", "16×16")]
    [InlineData("""{"do_resize": true, "size": {"height": 24, "width": 24}, "do_center_crop": false}""", "24×24")]
    public void A_captioner_preprocessing_that_does_not_give_its_vision_input_size_is_refused_at_load(string edit, string actual)
    {
        using var temp = new TempBundle();
        const string path = "captioner/preprocessor_config.json";
        EditCaptionerConfig(temp, edit);

        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(temp.Root).Dispose());
        Assert.Contains(path, error.Message);
        Assert.Contains("32×32 images", error.Message);
        Assert.Contains($"come out {actual}", error.Message);
        Assert.Contains("captioner/vision.onnx takes 'pixel_values' [batch, 3, 32, 32]", error.Message);
    }

    /// <summary>Preprocessing that does give the graph's 32 × 32 — a resize to it, a shortest-edge resize and crop — loads.</summary>
    [Theory]
    [InlineData("""{"do_resize": true, "size": {"height": 32, "width": 32}, "do_center_crop": false}""")]
    [InlineData("""{"do_resize": true, "size": {"shortest_edge": 32}, "do_center_crop": true, "crop_size": {"height": 32, "width": 32}}""")]
    public void A_captioner_preprocessing_that_gives_its_vision_input_size_loads(string edit)
    {
        using var temp = new TempBundle();
        EditCaptionerConfig(temp, edit);
        BrainDecoder.Load(temp.Root).Dispose();
    }

    private static void EditCaptionerConfig(TempBundle temp, string edit)
    {
        const string path = "captioner/preprocessor_config.json";
        var config = JsonNode.Parse(File.ReadAllText(temp.PathOf(path)))!.AsObject();
        foreach (var (key, value) in JsonNode.Parse(edit)!.AsObject())
        {
            config[key] = value?.DeepClone();
        }

        File.WriteAllText(temp.PathOf(path), config.ToJsonString());
        temp.Rehash(path);
    }
}
