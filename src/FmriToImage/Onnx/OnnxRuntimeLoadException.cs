namespace FmriToImage.Onnx;

/// <summary>
/// The ONNX Runtime native library could not be loaded: the application references only the managed API
/// (<c>Microsoft.ML.OnnxRuntime.Managed</c>, which this library depends on) and no native package, or the native
/// library is for another platform or misses a dependency. The message says which package to add.
/// </summary>
public sealed class OnnxRuntimeLoadException : FmriToImageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed and what to install.</param>
    /// <param name="innerException">The loader's failure.</param>
    public OnnxRuntimeLoadException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
