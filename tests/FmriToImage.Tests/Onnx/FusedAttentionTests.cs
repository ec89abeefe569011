using System.Text.Json;
using FmriToImage.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Tests.Onnx;

/// <summary>
/// ONNX Runtime's fused <c>com.microsoft.MultiHeadAttention</c>, the node models/export/fused_attention.py writes for
/// every UNet and VAE attention (docs/real-models.md): the package the library runs has the operator on the CPU
/// provider and computes softmax(q·kᵀ·scale)·v per head over separate [batch, tokens, heads·d] query, key and value —
/// the layout and default scale (1/√d) the export relies on. Reference: tests/fixtures/make_fused_attention_graph.py
/// (NumPy, float64, on the float32-rounded inputs).
/// </summary>
public sealed class FusedAttentionTests
{
    [Fact]
    public void Multi_head_attention_computes_the_float64_reference_with_the_default_and_a_given_scale()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(TestFiles.OnnxModel("fused_attention_expected.json")));
        var root = json.RootElement;
        var shape = root.GetProperty("shape");
        int Size(string name) => shape.GetProperty(name).GetInt32();
        float[] Floats(string name) => root.GetProperty(name).EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        var (batch, s, l, width) = (Size("batch"), Size("s"), Size("l"), Size("width"));

        using var session = GraphSession.Open(TestFiles.OnnxModel("fused_attention.onnx"));
        using var query = OrtValue.CreateTensor(Floats("query"), [batch, s, width]);
        using var key = OrtValue.CreateTensor(Floats("key"), [batch, l, width]);
        using var value = OrtValue.CreateTensor(Floats("value"), [batch, l, width]);
        using var outputs = session.Run([new("query", query), new("key", key), new("value", value)], ["default_scale", "given_scale"]);

        for (var o = 0; o < 2; o++)
        {
            Assert.Equal([(long)batch, s, width], outputs[o].Shape.ToArray());
            var expected = root.GetProperty(o == 0 ? "default_scale" : "given_scale").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var actual = outputs[o].ToArray<float>();
            Assert.Equal(expected.Length, actual.Length);
            for (var i = 0; i < expected.Length; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])), $"output {o}, element {i}: {actual[i]} vs {expected[i]}");
            }
        }

        // The two scales give different results (the attribute is read, not ignored).
        Assert.NotEqual(outputs[0].ToArray<float>(), outputs[1].ToArray<float>());
    }
}
