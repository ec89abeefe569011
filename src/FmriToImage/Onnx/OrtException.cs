namespace FmriToImage.Onnx;

/// <summary>
/// A call into ONNX Runtime failed. Carries ONNX Runtime's error code and message and what the library was doing
/// (which file, which input) when it failed.
/// </summary>
public class OrtException : FmriToImageException
{
    /// <summary>Creates the exception from a failed ONNX Runtime call.</summary>
    /// <param name="errorCode">ONNX Runtime's error code name, e.g. "InvalidArgument", "NoSuchFile", "Fail".</param>
    /// <param name="runtimeMessage">ONNX Runtime's own message, verbatim.</param>
    /// <param name="operation">What the library was doing, e.g. "creating a session from 'unet/model.onnx'".</param>
    /// <param name="innerException">ONNX Runtime's exception.</param>
    public OrtException(string errorCode, string runtimeMessage, string operation, Exception? innerException = null)
        : base($"ONNX Runtime failed while {operation}: [{errorCode}] {runtimeMessage}", innerException)
    {
        ErrorCode = errorCode;
        RuntimeMessage = runtimeMessage;
        Operation = operation;
    }

    /// <summary>ONNX Runtime's error code name, e.g. "InvalidArgument", "NoSuchFile", "RuntimeException", "Fail".</summary>
    public string ErrorCode { get; }

    /// <summary>ONNX Runtime's own message, verbatim.</summary>
    public string RuntimeMessage { get; }

    /// <summary>What the library was doing when the call failed.</summary>
    public string Operation { get; }
}
