namespace FmriToImage.Onnx;

/// <summary>The error codes ONNX Runtime attaches to a failed call (<c>OrtErrorCode</c> in the C API).</summary>
public enum OrtErrorCode
{
    /// <summary>Success; never carried by an exception.</summary>
    Ok = 0,

    /// <summary>A general failure (also what a terminated run and a missing provider library report).</summary>
    Fail = 1,

    /// <summary>An argument was invalid.</summary>
    InvalidArgument = 2,

    /// <summary>A file does not exist.</summary>
    NoSuchFile = 3,

    /// <summary>No model was loaded.</summary>
    NoModel = 4,

    /// <summary>An execution engine failed.</summary>
    EngineError = 5,

    /// <summary>A kernel threw at run time.</summary>
    RuntimeException = 6,

    /// <summary>The model bytes are not a valid ONNX protobuf.</summary>
    InvalidProtobuf = 7,

    /// <summary>The model was already loaded.</summary>
    ModelLoaded = 8,

    /// <summary>The operation is not implemented.</summary>
    NotImplemented = 9,

    /// <summary>The graph is invalid.</summary>
    InvalidGraph = 10,

    /// <summary>An execution provider failed.</summary>
    ExecutionProviderFail = 11,

    /// <summary>Model loading was cancelled.</summary>
    ModelLoadCanceled = 12,

    /// <summary>The model must be compiled for an execution provider first.</summary>
    ModelRequiresCompilation = 13,

    /// <summary>Something looked up was not found.</summary>
    NotFound = 14,

    /// <summary>The device was reset; drop the session and create a new one.</summary>
    DeviceReset = 15,
}
