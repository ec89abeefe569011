using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Onnx;

/// <summary>
/// What a graph declares for one input or output, read once from ONNX Runtime's <see cref="NodeMetadata"/>: name,
/// kind, element type and shape, where a dynamic dimension is −1 in <see cref="Dimensions"/> and has its symbolic name
/// (e.g. "batch") in <see cref="SymbolicDimensions"/>.
/// </summary>
/// <param name="Name">The input or output name.</param>
/// <param name="Kind">Tensor, sequence, map, ...</param>
/// <param name="ElementType">The tensor element type (<see cref="TensorElementType.DataTypeMax"/> for non-tensors).</param>
/// <param name="Dimensions">The dimensions, −1 where dynamic.</param>
/// <param name="SymbolicDimensions">The symbolic name of each dimension, or an empty string where it is fixed or unnamed.</param>
internal sealed record GraphNode(
    string Name,
    OnnxValueType Kind,
    TensorElementType ElementType,
    IReadOnlyList<long> Dimensions,
    IReadOnlyList<string> SymbolicDimensions)
{
    /// <summary>The number of dimensions.</summary>
    public int Rank => Dimensions.Count;

    /// <summary>True when some dimension is dynamic.</summary>
    public bool IsDynamic => Dimensions.Any(d => d < 0);

    /// <summary>Whether the node is a tensor.</summary>
    public bool IsTensor => Kind == OnnxValueType.ONNX_TYPE_TENSOR;

    /// <summary>The shape for people: fixed sizes as numbers, dynamic ones by name or "?", e.g. "[batch, 4, 8, 8]".</summary>
    public string ShapeText =>
        "[" + string.Join(", ", Dimensions.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : SymbolicDimensions[i] is { Length: > 0 } name ? name : "?")) + "]";

    /// <summary>Reads a node's declaration from ONNX Runtime's metadata.</summary>
    public static GraphNode From(string name, NodeMetadata metadata)
    {
        var isTensor = metadata.OnnxValueType == OnnxValueType.ONNX_TYPE_TENSOR;
        var dims = isTensor ? metadata.Dimensions.Select(d => (long)d).ToArray() : [];
        var symbols = isTensor
            ? Enumerable.Range(0, dims.Length).Select(i => metadata.SymbolicDimensions is { } s && i < s.Length ? s[i] ?? string.Empty : string.Empty).ToArray()
            : [];
        return new GraphNode(name, metadata.OnnxValueType, isTensor ? metadata.ElementDataType : TensorElementType.DataTypeMax, dims, symbols);
    }

    /// <summary>"name: float32 [batch, 3]".</summary>
    /// <returns>A one-line description.</returns>
    public override string ToString() =>
        IsTensor ? $"{Name}: {ElementTypes.Name(ElementType)} {ShapeText}" : $"{Name}: {Kind}";
}
