namespace FmriToImage.Onnx;

/// <summary>A model file named by the caller does not exist. Raised before ONNX Runtime is asked to load it.</summary>
internal sealed class ModelFileNotFoundException : FmriToImageException
{
    /// <summary>Creates the exception for a missing model file.</summary>
    /// <param name="path">The path as given.</param>
    public ModelFileNotFoundException(string path)
        : base($"Model file '{path}' does not exist (full path: '{Path.GetFullPath(path)}').")
    {
        ModelPath = path;
    }

    /// <summary>The path as given by the caller.</summary>
    public string ModelPath { get; }
}
