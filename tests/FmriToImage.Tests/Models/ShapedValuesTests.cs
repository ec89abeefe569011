using FmriToImage.Models;
using FmriToImage.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Tests.Models;

/// <summary>A network output as the wrappers return it (<see cref="ShapedValues"/>).</summary>
public sealed class ShapedValuesTests
{
    [Fact]
    public void A_float_output_keeps_its_values_and_shape()
    {
        using var value = OrtValue.CreateTensorValueFromMemory(new[] { 1f, 2f, 3f, 4f, 5f, 6f }, [2, 3]);
        var shaped = ShapedValues.From(value, "image_encoder/model.onnx", "image_embeds");
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], shaped.Span.ToArray());
        Assert.Equal([(nint)2, 3], shaped.Lengths.ToArray());
    }

    [Fact]
    public void An_output_of_another_element_type_names_the_model_and_the_output()
    {
        using var value = OrtValue.CreateTensorValueFromMemory(new long[] { 1, 2 }, [1, 2]);
        var e = Assert.Throws<TensorContractException>(() => ShapedValues.From(value, "text_encoder/model.onnx", "last_hidden_state"));
        Assert.Equal("last_hidden_state", e.TensorName);
        Assert.Contains("text_encoder/model.onnx: output 'last_hidden_state' holds int64", e.Message);
    }
}
