namespace FmriToImage.Onnx;

/// <summary>
/// An execution provider was required (<see cref="ExecutionProviderPolicy.RequireCuda"/>) but ONNX Runtime could not
/// load or use it. The message names the provider, the libraries ONNX Runtime looked for and where, and ONNX
/// Runtime's own reason.
/// </summary>
public sealed class ExecutionProviderUnavailableException : FmriToImageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="provider">The provider that was required, e.g. "CUDAExecutionProvider".</param>
    /// <param name="message">The full explanation.</param>
    /// <param name="innerException">The ONNX Runtime failure behind it, if any.</param>
    public ExecutionProviderUnavailableException(string provider, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Provider = provider;
    }

    /// <summary>The provider that was required, e.g. "CUDAExecutionProvider".</summary>
    public string Provider { get; }
}
