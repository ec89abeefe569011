namespace FmriToImage.Onnx;

/// <summary>A value paired with the model input or output name it is bound to.</summary>
/// <param name="Name">The input or output name as the model declares it.</param>
/// <param name="Value">The value; not owned by this pair.</param>
public readonly record struct NamedOrtValue(string Name, OrtValue Value);
