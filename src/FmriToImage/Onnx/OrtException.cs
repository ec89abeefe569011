namespace FmriToImage.Onnx;

/// <summary>
/// A call into ONNX Runtime failed. Carries ONNX Runtime's error code and message and what the binding was doing
/// (which file, which input) when it failed.
/// </summary>
public class OrtException : FmriToImageException
{
    /// <summary>Creates the exception from a failed ONNX Runtime status.</summary>
    /// <param name="errorCode">ONNX Runtime's error code.</param>
    /// <param name="runtimeMessage">ONNX Runtime's own message, verbatim.</param>
    /// <param name="operation">What the binding was doing, e.g. "creating a session from 'unet/model.onnx'".</param>
    public OrtException(OrtErrorCode errorCode, string runtimeMessage, string operation)
        : base($"ONNX Runtime failed while {operation}: [{errorCode}] {runtimeMessage}")
    {
        ErrorCode = errorCode;
        RuntimeMessage = runtimeMessage;
        Operation = operation;
    }

    /// <summary>ONNX Runtime's error code.</summary>
    public OrtErrorCode ErrorCode { get; }

    /// <summary>ONNX Runtime's own message, verbatim.</summary>
    public string RuntimeMessage { get; }

    /// <summary>What the binding was doing when the call failed.</summary>
    public string Operation { get; }
}
