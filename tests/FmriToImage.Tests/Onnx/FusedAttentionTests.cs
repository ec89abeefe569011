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

    /// <summary>
    /// The SD VAE's attention shape — one 512-wide head — over 2,000 keys: the CPU kernel splits the keys into blocks
    /// sized to the L2 cache and rescales its running softmax from block to block; the result is still the float64
    /// reference. Inputs: the formula of <c>wide_input</c> in tests/fixtures/make_fused_attention_graph.py.
    /// </summary>
    [Fact]
    public void Multi_head_attention_over_many_keys_in_tiles_computes_the_float64_reference()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(TestFiles.OnnxModel("fused_attention_wide_expected.json")));
        var shape = json.RootElement.GetProperty("shape");
        var (s, l, width) = (shape.GetProperty("s").GetInt32(), shape.GetProperty("l").GetInt32(), shape.GetProperty("width").GetInt32());
        var expected = json.RootElement.GetProperty("attended").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var query = WideInput(1, s * width);
        for (var i = 0; i < query.Length; i++)
        {
            query[i] *= 4;
        }

        using var session = GraphSession.Open(TestFiles.OnnxModel("fused_attention_wide.onnx"));
        using var q = OrtValue.CreateTensor(query, [1, s, width]);
        using var k = OrtValue.CreateTensor(WideInput(2, l * width), [1, l, width]);
        using var v = OrtValue.CreateTensor(WideInput(3, l * width), [1, l, width]);
        using var outputs = session.Run([new("query", q), new("key", k), new("value", v)], ["attended"]);

        var actual = outputs[0].ToArray<float>();
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 2e-5, $"element {i}: {actual[i]} vs {expected[i]}");
        }
    }

    /// <summary>((i·7919 + salt·104729) mod 1009) / 1009 − 0.5 in double, rounded once to float (the fixture's wide_input).</summary>
    private static float[] WideInput(long salt, int count)
    {
        var values = new float[count];
        for (long i = 0; i < count; i++)
        {
            values[i] = (float)((((i * 7919) + (salt * 104729)) % 1009 / 1009.0) - 0.5);
        }

        return values;
    }
}
