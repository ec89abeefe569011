namespace FmriToImage.Onnx;

/// <summary>
/// What a model declares for one input or output: name, kind, element type and shape, where a dynamic dimension is
/// −1 in <see cref="Dimensions"/> and has its symbolic name (e.g. "batch") in <see cref="SymbolicDimensions"/>.
/// </summary>
/// <param name="Name">The input or output name.</param>
/// <param name="Kind">Tensor, sequence, map, ...</param>
/// <param name="ElementType">The tensor element type (<see cref="OrtTensorElementType.Undefined"/> for non-tensors).</param>
/// <param name="Dimensions">The dimensions, −1 where dynamic.</param>
/// <param name="SymbolicDimensions">The symbolic name of each dimension, or an empty string where it is fixed or unnamed.</param>
public sealed record OrtNodeInfo(
    string Name,
    OrtValueKind Kind,
    OrtTensorElementType ElementType,
    IReadOnlyList<long> Dimensions,
    IReadOnlyList<string> SymbolicDimensions)
{
    /// <summary>The number of dimensions.</summary>
    public int Rank => Dimensions.Count;

    /// <summary>True when some dimension is dynamic.</summary>
    public bool IsDynamic => Dimensions.Any(d => d < 0);

    /// <summary>The shape for people: fixed sizes as numbers, dynamic ones by name or "?", e.g. "[batch, 4, 8, 8]".</summary>
    public string ShapeText =>
        "[" + string.Join(", ", Dimensions.Select((d, i) => d >= 0 ? d.ToString(System.Globalization.CultureInfo.InvariantCulture) : SymbolicDimensions[i] is { Length: > 0 } name ? name : "?")) + "]";

    /// <summary>"name: float32 [batch, 3]".</summary>
    /// <returns>A one-line description.</returns>
    public override string ToString() =>
        Kind == OrtValueKind.Tensor ? $"{Name}: {OrtTensorElementTypes.Name(ElementType)} {ShapeText}" : $"{Name}: {Kind}";
}
