namespace FmriToImage.Onnx;

/// <summary>
/// The ONNX Runtime native library could not be found or loaded, or it is too old for this binding. The message
/// lists every path tried, the version found at each and the version needed.
/// </summary>
public sealed class OnnxRuntimeLoadException : FmriToImageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">Every path tried and why each failed.</param>
    /// <param name="pathsTried">The candidate paths or library names, in the order they were tried.</param>
    public OnnxRuntimeLoadException(string message, IReadOnlyList<string> pathsTried)
        : base(message)
    {
        PathsTried = pathsTried;
    }

    /// <summary>The candidate paths or library names, in the order they were tried.</summary>
    public IReadOnlyList<string> PathsTried { get; }
}
