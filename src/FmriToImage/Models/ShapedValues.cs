using FmriToImage.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Models;

/// <summary>
/// A network output as the wrappers return it: its float32 values in one array, row-major, with its shape. Callers read
/// <see cref="Span"/> where it lies (one copy out of ONNX Runtime's memory, none after); <see cref="ToArray"/> is a
/// copy for a caller that keeps the values apart.
/// </summary>
internal sealed class ShapedValues
{
    private readonly float[] _values;
    private readonly nint[] _lengths;

    /// <summary>Wraps <paramref name="values"/> (not copied) with its shape.</summary>
    /// <exception cref="ArgumentException">The shape's product is not the value count.</exception>
    public ShapedValues(float[] values, nint[] lengths)
    {
        _values = values ?? throw new ArgumentNullException(nameof(values));
        _lengths = lengths ?? throw new ArgumentNullException(nameof(lengths));
        var product = lengths.Aggregate((nint)1, (a, b) => a * b);
        if (product != values.Length)
        {
            throw new ArgumentException($"A shape of [{string.Join(", ", lengths)}] holds {product} values, not {values.Length}.", nameof(lengths));
        }
    }

    /// <summary>The values, row-major.</summary>
    public ReadOnlySpan<float> Span => _values;

    /// <summary>The shape.</summary>
    public ReadOnlySpan<nint> Lengths => _lengths;

    /// <summary>The output's float32 values and shape, copied once out of ONNX Runtime's memory.</summary>
    /// <param name="value">The output.</param>
    /// <param name="modelName">The model that produced it (<see cref="GraphSession.ModelName"/>), for the message.</param>
    /// <param name="output">The output's name, for the message.</param>
    /// <exception cref="TensorContractException">The output is not float32 (names the model and the output).</exception>
    public static ShapedValues From(OrtValue value, string modelName, string output)
    {
        ArgumentNullException.ThrowIfNull(value);
        var info = value.GetTensorTypeAndShape();
        if (info.ElementDataType != TensorElementType.Float)
        {
            throw new TensorContractException($"{modelName}: output '{output}' holds {ElementTypes.Name(info.ElementDataType)} elements; float32 was expected.", output);
        }

        return new ShapedValues(value.ReadData<float>().ToArray(), info.Shape.Select(d => checked((nint)d)).ToArray());
    }

    /// <summary>The number of values.</summary>
    public int FlattenedLength => _values.Length;

    /// <summary>Copies the values into <paramref name="destination"/> (at least <see cref="FlattenedLength"/> long).</summary>
    public void FlattenTo(Span<float> destination) => _values.CopyTo(destination);

    /// <summary>A copy of the values.</summary>
    public float[] ToArray() => (float[])_values.Clone();

    /// <summary>The values, for a caller that owns them from here on (no copy; the wrapper keeps no reference).</summary>
    public float[] Release() => _values;
}
