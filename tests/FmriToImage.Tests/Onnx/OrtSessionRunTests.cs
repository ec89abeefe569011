using System.Text.Json;
using FmriToImage.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Tests.Onnx;

public sealed class OrtSessionRunTests : IDisposable
{
    private readonly GraphSession _elementTypes = GraphSession.Open(TestFiles.OnnxModel("element_types.onnx"));
    private readonly GraphSession _add = GraphSession.Open(TestFiles.OnnxModel("add.onnx"));

    public void Dispose()
    {
        _elementTypes.Dispose();
        _add.Dispose();
    }

    [Fact]
    public void Every_supported_element_type_round_trips_through_the_model()
    {
        float[] f32 = [1.5f, -2f, 0f];
        Half[] f16 = [(Half)1.5f, (Half)(-2f), (Half)0.25f];
        double[] f64 = [1.25, -3.5, 1e-300];
        long[] i64 = [long.MaxValue / 4, -7, 0];
        int[] i32 = [int.MaxValue / 4, -7, 0];
        byte[] u8 = [1, 127, 128];
        bool[] b = [true, false, true];

        using var x32 = OrtValue.CreateTensor(f32, [3]);
        using var x16 = OrtValue.CreateTensor(f16, [3]);
        using var x64 = OrtValue.CreateTensor(f64, [3]);
        using var xi64 = OrtValue.CreateTensor(i64, [3]);
        using var xi32 = OrtValue.CreateTensor(i32, [3]);
        using var xu8 = OrtValue.CreateTensor(u8, [3]);
        using var xb = OrtValue.CreateTensor(b, [3]);
        using var outputs = _elementTypes.Run(
            [new("x_f32", x32), new("x_f16", x16), new("x_f64", x64), new("x_i64", xi64), new("x_i32", xi32), new("x_u8", xu8), new("x_bool", xb)]);

        Assert.Equal([3f, -4f, 0f], outputs.Output(_elementTypes, "y_f32").ToArray<float>());
        Assert.Equal([(Half)3f, (Half)(-4f), (Half)0.5f], outputs.Output(_elementTypes, "y_f16").ToArray<Half>());
        Assert.Equal([2.5, -7.0, 2e-300], outputs.Output(_elementTypes, "y_f64").ToArray<double>());
        Assert.Equal([long.MaxValue / 4 * 3, -21L, 0L], outputs.Output(_elementTypes, "y_i64").ToArray<long>());
        Assert.Equal([int.MaxValue / 4 * 3, -21, 0], outputs.Output(_elementTypes, "y_i32").ToArray<int>());
        Assert.Equal([(byte)2, (byte)254, (byte)0], outputs.Output(_elementTypes, "y_u8").ToArray<byte>());
        Assert.Equal([false, true, false], outputs.Output(_elementTypes, "y_bool").ToArray<bool>());
        Assert.Equal(TensorElementType.Float16, outputs.Output(_elementTypes, "y_f16").ElementType);
        Assert.Equal(TensorElementType.Bool, outputs.Output(_elementTypes, "y_bool").ElementType);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(64)]
    public void Dynamic_axes_take_any_batch_size(int batch)
    {
        var a = Enumerable.Range(0, batch * 3).Select(i => (float)i).ToArray();
        var b = Enumerable.Range(0, batch * 3).Select(i => 0.5f * i).ToArray();
        using var va = OrtValue.CreateTensor(a, [batch, 3]);
        using var vb = OrtValue.CreateTensor(b, [batch, 3]);
        using var outputs = _add.Run([new("a", va), new("b", vb)]);
        Assert.Equal([(long)batch, 3], outputs[0].Shape.ToArray());
        Assert.Equal(a.Zip(b, (x, y) => x + y), outputs[0].ToArray<float>());
    }

    [Fact]
    public void Multiple_inputs_and_outputs_match_the_numpy_reference()
    {
        // Reference values: tests/fixtures/make_onnx_models.py (float64 NumPy on the float32-rounded inputs).
        using var json = JsonDocument.Parse(File.ReadAllText(TestFiles.OnnxModel("expected.json")));
        var expected = json.RootElement.GetProperty("multi_io");
        float[] Floats(string name) => expected.GetProperty(name).EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        long[] Longs(string name) => expected.GetProperty(name).EnumerateArray().Select(e => e.GetInt64()).ToArray();

        using var session = GraphSession.Open(TestFiles.OnnxModel("multi_io.onnx"));
        using var image = OrtValue.CreateTensor(Floats("image"), Longs("image_shape"));
        using var scale = OrtValue.CreateTensor(Floats("scale"), [1]);
        using var ids = OrtValue.CreateTensor(Longs("ids"), Longs("ids_shape"));
        using var outputs = session.Run([new("ids", ids), new("scale", scale), new("image", image)], ["mean", "ids_plus_one", "scaled"]);

        Assert.Equal(3, outputs.Count);
        AssertClose(expected.GetProperty("mean").EnumerateArray().Select(e => e.GetDouble()).ToArray(), outputs[0].ToArray<float>(), 1e-6);
        Assert.Equal(Longs("ids_plus_one"), outputs[1].ToArray<long>());
        Assert.Equal([2L, 5], outputs[1].Shape.ToArray());
        AssertClose(expected.GetProperty("scaled").EnumerateArray().Select(e => e.GetDouble()).ToArray(), outputs[2].ToArray<float>(), 1e-7);
    }

    [Fact]
    public void Preallocated_outputs_are_written_in_place()
    {
        var a = new float[] { 1, 2, 3, 4, 5, 6 };
        var sum = new float[6];
        using var va = OrtValue.CreateTensor(a, [2, 3]);
        using var vs = OrtValue.CreateTensor(sum, [2, 3]);
        _add.Run([new("a", va), new("b", va)], [new NamedValue("sum", vs)]);
        Assert.Equal([2f, 4, 6, 8, 10, 12], sum);

        a[0] = 100; // caller memory is shared with the value, so a second run sees the change
        _add.Run([new("a", va), new("b", va)], [new NamedValue("sum", vs)]);
        Assert.Equal(200f, sum[0]);
    }

    [Fact]
    public void An_unknown_input_name_is_named_with_the_models_inputs()
    {
        using var v = OrtValue.CreateTensor(new float[3], [1, 3]);
        var error = Assert.Throws<TensorContractException>(() => _add.Run([new("a", v), new("bee", v)]));
        Assert.Equal("bee", error.TensorName);
        Assert.Contains("add.onnx has no input named 'bee'", error.Message);
        Assert.Contains("a: float32 [batch, 3]", error.Message);
    }

    [Fact]
    public void A_missing_input_is_named()
    {
        using var v = OrtValue.CreateTensor(new float[3], [1, 3]);
        var error = Assert.Throws<TensorContractException>(() => _add.Run([new("a", v)]));
        Assert.Equal("b", error.TensorName);
        Assert.Contains("missing input 'b: float32 [batch, 3]'", error.Message);
        Assert.Contains("Given: a", error.Message);
    }

    [Fact]
    public void An_input_given_twice_is_refused()
    {
        using var v = OrtValue.CreateTensor(new float[3], [1, 3]);
        var error = Assert.Throws<TensorContractException>(() => _add.Run([new("a", v), new("a", v)]));
        Assert.Contains("'a' is given twice", error.Message);
    }

    [Fact]
    public void A_wrong_element_type_names_expected_and_actual()
    {
        using var a = OrtValue.CreateTensor(new double[3], [1, 3]);
        using var b = OrtValue.CreateTensor(new float[3], [1, 3]);
        var error = Assert.Throws<TensorContractException>(() => _add.Run([new("a", a), new("b", b)]));
        Assert.Equal("a", error.TensorName);
        Assert.Contains("input 'a' expects float32 [batch, 3] but got float64 [1, 3]", error.Message);
    }

    [Fact]
    public void A_wrong_rank_names_expected_and_actual()
    {
        using var a = OrtValue.CreateTensor(new float[3], [3]);
        using var b = OrtValue.CreateTensor(new float[3], [1, 3]);
        var error = Assert.Throws<TensorContractException>(() => _add.Run([new("a", a), new("b", b)]));
        Assert.Contains("expects rank 2 [batch, 3] but got rank 1 [3]", error.Message);
    }

    [Fact]
    public void A_wrong_fixed_dimension_names_the_dimension()
    {
        using var session = GraphSession.Open(TestFiles.OnnxModel("fixed_shape.onnx"));
        using var x = OrtValue.CreateTensor(new float[8], [2, 4]);
        var error = Assert.Throws<TensorContractException>(() => session.Run([new("x", x)]));
        Assert.Contains("expects shape [2, 3] but got [2, 4]: dimension 1 is 4, the model fixes it at 3", error.Message);
    }

    [Fact]
    public void A_buffer_too_small_for_its_shape_is_refused_before_any_native_call()
    {
        var error = Assert.Throws<TensorContractException>(() => OrtValue.CreateTensor(new float[5], [2, 3]));
        Assert.Contains("holds 5 float32 elements but shape [2, 3] needs 6", error.Message);
    }

    [Fact]
    public void A_wrong_preallocated_output_and_an_unknown_output_name_are_refused()
    {
        using var a = OrtValue.CreateTensor(new float[3], [1, 3]);
        using var wrong = OrtValue.CreateTensor(new long[3], [1, 3]);
        var typeError = Assert.Throws<TensorContractException>(() => _add.Run([new("a", a), new("b", a)], [new NamedValue("sum", wrong)]));
        Assert.Contains("output 'sum' expects float32", typeError.Message);
        var nameError = Assert.Throws<TensorContractException>(() => _add.Run([new("a", a), new("b", a)], ["total"]));
        Assert.Contains("no output named 'total'", nameError.Message);
    }

    private static void AssertClose(double[] expected, float[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
