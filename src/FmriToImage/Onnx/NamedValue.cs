using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Onnx;

/// <summary>A value paired with the graph input or output name it is given to.</summary>
/// <param name="Name">The input or output name as the graph declares it.</param>
/// <param name="Value">The value; not owned by this pair.</param>
internal readonly record struct NamedValue(string Name, OrtValue Value);
