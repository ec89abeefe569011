using System.Text.Json;
using FmriToImage.Imaging;
using FmriToImage.Pipelines;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Tests.Models;

public sealed class EncoderAndCaptionerTests(TinyBundle tiny) : IClassFixture<TinyBundle>
{
    /// <summary>The picture tests/fixtures/make_bundle.py's golden caption is computed for.</summary>
    private static RgbImage TestImage()
    {
        var image = new RgbImage(32, 32);
        for (var y = 0; y < 32; y++)
        {
            for (var x = 0; x < 32; x++)
            {
                image.SetPixel(x, y, (byte)(((7 * x) + (3 * y)) % 256), (byte)(11 * x % 256), (byte)(13 * y % 256));
            }
        }

        return image;
    }

    [Fact]
    public void The_captioner_decodes_greedily_as_the_numpy_reference_does()
    {
        // Reference: tests/fixtures/make_bundle.py golden_caption (float64 NumPy, independent of ONNX Runtime).
        using var json = JsonDocument.Parse(File.ReadAllText(TestFiles.Fixture("bundle", "golden_caption.json")));
        var expected = json.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();

        var captioner = ModelLoader.Captioner(tiny.Bundle);
        Assert.Equal(4, captioner.StartTokenId);
        Assert.Equal(3, captioner.EndTokenId);
        Assert.Equal(12, captioner.MaxLength);
        var ids = captioner.CaptionIds([TestImage(), TestImage()]);
        Assert.Equal(expected, ids[0]);
        Assert.Equal(expected, ids[1]);

        var text = captioner.Caption([TestImage()])[0];
        Assert.Equal(captioner.Tokenizer.Decode(expected.AsSpan(1, expected.Length - (expected[^1] == 3 ? 2 : 1))), text);
        Assert.StartsWith("word", text);
    }

    [Fact]
    public void The_text_encoder_tokenizes_to_the_context_length_and_returns_states_and_embeddings()
    {
        var encoder = ModelLoader.TextEncoder(tiny.Bundle);
        Assert.Equal(8, encoder.SequenceLength); // text_encoder/config.json max_position_embeddings
        var encoding = encoder.Encode(["a red circle", ""]);
        Assert.Equal([(nint)2, 8, 16], encoding.HiddenStates.Lengths.ToArray());
        Assert.Equal([(nint)2, 16], encoding.Embeddings!.Lengths.ToArray());

        var ids = new long[8];
        encoder.Tokenizer.EncodeInto("a red circle", ids);
        using var raw = OrtValue.CreateTensor(ids, [1, 8]);
        using var outputs = tiny.Bundle.TextEncoder!.Session.Run([new("input_ids", raw)]);
        Assert.Equal(outputs.Output(tiny.Bundle.TextEncoder!.Session, "last_hidden_state").ToArray<float>(), encoding.HiddenStates.ToArray().Take(8 * 16));
    }

    [Fact]
    public void The_image_encoder_preprocesses_with_the_bundles_config()
    {
        var encoder = ModelLoader.ImageEncoder(tiny.Bundle);
        var encoding = encoder.Encode([TestImage()]);
        Assert.Equal([(nint)1, 16], encoding.Embeddings!.Lengths.ToArray());
        Assert.Equal([(nint)1, 5, 16], encoding.Tokens!.Lengths.ToArray());

        var pixels = new float[3 * 32 * 32];
        ImageTensor.ToChw(TestImage(), ImageNormalization.OpenAiClip, pixels);
        using var raw = OrtValue.CreateTensor(pixels, [1, 3, 32, 32]);
        using var outputs = tiny.Bundle.ImageEncoder!.Session.Run([new("pixel_values", raw)]);
        Assert.Equal(outputs.Output(tiny.Bundle.ImageEncoder!.Session, "image_embeds").ToArray<float>(), encoding.Embeddings.ToArray(), (a, b) => Math.Abs(a - b) <= 1e-5f * Math.Max(1, Math.Abs(a)));
    }

    [Fact]
    public void A_captioner_config_without_token_ids_is_a_contract_problem()
    {
        using var temp = new Bundle.TempBundle();
        File.WriteAllText(temp.PathOf("captioner/config.json"), """{"max_length": 12}""");
        temp.Rehash("captioner/config.json");
        using var bundle = FmriToImage.Bundle.ModelBundle.Open(temp.Root);
        var error = Assert.Throws<FmriToImage.Bundle.BundleContractException>(() => ModelLoader.Captioner(bundle));
        Assert.Contains("bos_token_id", error.Message);
    }
}
