using System.Text.Json.Nodes;
using FmriToImage.Bundle;
using FmriToImage.Pipelines;
using FmriToImage.Tests.Bundle;

namespace FmriToImage.Tests.Models;

/// <summary>
/// A captioner whose vision input is predicted image tokens (captioner/token_converter.onnx, chosen by
/// captioner/config.json vision_source "image_tokens"). Fixture and golden ids: tests/fixtures/make_token_captioner.py
/// (greedy decoding in float64 NumPy from the converter's and the tiny decoder's weights).
/// </summary>
public sealed class TokenCaptionerTests
{
    private const string Converter = "captioner/token_converter.onnx";

    internal static TempBundle WithTokenCaptioner(string? visionSource = "image_tokens", bool graph = true)
    {
        var temp = new TempBundle();
        if (graph)
        {
            File.Copy(TestFiles.Fixture("bundle", "token_captioner", "token_converter.onnx"), temp.PathOf(Converter));
            temp.Rehash(Converter);
        }

        if (visionSource is not null)
        {
            var path = temp.PathOf("captioner/config.json");
            var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            config["vision_source"] = visionSource;
            File.WriteAllText(path, config.ToJsonString());
            temp.Rehash("captioner/config.json");
        }

        return temp;
    }

    [Fact]
    public void Captions_predicted_tokens_as_the_numpy_reference_does()
    {
        using var temp = WithTokenCaptioner();
        using var bundle = ModelBundle.Open(temp.Root);
        var captioner = ModelLoader.Captioner(bundle);
        Assert.True(captioner.CaptionsFromTokens);
        var tokens = Enumerable.Range(0, 2 * 5 * 16).Select(k => (float)Math.Sin(0.1 * k)).ToArray();
        var golden = JsonNode.Parse(File.ReadAllText(TestFiles.Fixture("bundle", "token_captioner", "golden_caption_from_tokens.json")))!["ids"]!.AsArray();
        var expected = golden.Select(ids => captioner.Tokenizer.Decode(ids!.AsArray().Select(i => i!.GetValue<int>()).Skip(1).ToArray())).ToArray();
        Assert.Equal(expected, captioner.CaptionTokens(tokens, 2, 5, 16));
    }

    [Fact]
    public void An_image_captioner_says_so_and_refuses_tokens()
    {
        using var bundle = ModelBundle.Open(TestFiles.Fixture("bundle", "tiny"));
        var captioner = ModelLoader.Captioner(bundle);
        Assert.False(captioner.CaptionsFromTokens);
        Assert.Throws<InvalidOperationException>(() => captioner.CaptionTokens(new float[80], 1, 5, 16));
    }

    [Theory]
    [InlineData("image_tokens", false, "vision_source is \"image_tokens\", which needs captioner/token_converter.onnx")]
    [InlineData(null, true, "vision_source is \"pixels\" (by default) but the bundle has captioner/token_converter.onnx")]
    [InlineData("bigG", true, "vision_source is \"bigG\"; expected")]
    public void The_config_alone_chooses_and_a_disagreement_is_refused_at_load(string? source, bool graph, string expected)
    {
        using var temp = WithTokenCaptioner(source, graph);
        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(temp.Root));
        Assert.Contains(error.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }
}
