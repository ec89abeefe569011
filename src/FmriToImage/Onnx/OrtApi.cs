using System.Runtime.InteropServices;

namespace FmriToImage.Onnx;

/// <summary>
/// The slots of ONNX Runtime's <c>OrtApi</c> function table this binding calls, read by position from the table that
/// <c>OrtGetApiBase()->GetApi(30)</c> returns. Positions never move between versions (the table is append-only), so a
/// library whose API version is at least <see cref="ApiVersion"/> has all of them. Slot numbers are from
/// <c>onnxruntime_c_api.h</c> at API version 30, cross-checked on the 1.30.0 binary (shared/research/ort-c-api.md §2).
/// </summary>
/// <remarks>
/// Every pointer is an opaque native handle (<see cref="nint"/>); every <c>char*</c> is NUL-terminated UTF-8 except
/// model paths on Windows (UTF-16). Functions that return <c>OrtStatus*</c> return 0 on success; a non-zero status must be
/// read and released, which <see cref="Check(nint, string)"/> does.
/// </remarks>
internal static unsafe class OrtApi
{
    /// <summary>The <c>ORT_API_VERSION</c> this binding requests: ONNX Runtime 1.30.</summary>
    public const uint ApiVersion = 30;

    public static delegate* unmanaged<nint, OrtErrorCode> GetErrorCode;
    public static delegate* unmanaged<nint, byte*> GetErrorMessage;
    public static delegate* unmanaged<nint, nint, int, byte*, nint*, nint> CreateEnvWithCustomLogger;
    public static delegate* unmanaged<nint, void*, nint, nint*, nint> CreateSession;
    public static delegate* unmanaged<nint, void*, nuint, nint, nint*, nint> CreateSessionFromArray;
    public static delegate* unmanaged<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint> Run;
    public static delegate* unmanaged<nint*, nint> CreateSessionOptions;
    public static delegate* unmanaged<nint, void*, nint> SetOptimizedModelFilePath;
    public static delegate* unmanaged<nint, int, nint> SetSessionExecutionMode;
    public static delegate* unmanaged<nint, nint> EnableMemPattern;
    public static delegate* unmanaged<nint, nint> DisableMemPattern;
    public static delegate* unmanaged<nint, nint> EnableCpuMemArena;
    public static delegate* unmanaged<nint, nint> DisableCpuMemArena;
    public static delegate* unmanaged<nint, byte*, nint> SetSessionLogId;
    public static delegate* unmanaged<nint, int, nint> SetSessionLogSeverityLevel;
    public static delegate* unmanaged<nint, int, nint> SetSessionGraphOptimizationLevel;
    public static delegate* unmanaged<nint, int, nint> SetIntraOpNumThreads;
    public static delegate* unmanaged<nint, int, nint> SetInterOpNumThreads;
    public static delegate* unmanaged<nint, nuint*, nint> SessionGetInputCount;
    public static delegate* unmanaged<nint, nuint*, nint> SessionGetOutputCount;
    public static delegate* unmanaged<nint, nuint, nint*, nint> SessionGetInputTypeInfo;
    public static delegate* unmanaged<nint, nuint, nint*, nint> SessionGetOutputTypeInfo;
    public static delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetInputName;
    public static delegate* unmanaged<nint, nuint, nint, byte**, nint> SessionGetOutputName;
    public static delegate* unmanaged<nint*, nint> CreateRunOptions;
    public static delegate* unmanaged<nint, int, nint> RunOptionsSetRunLogSeverityLevel;
    public static delegate* unmanaged<nint, byte*, nint> RunOptionsSetRunTag;
    public static delegate* unmanaged<nint, nint> RunOptionsSetTerminate;
    public static delegate* unmanaged<nint, nint> RunOptionsUnsetTerminate;
    public static delegate* unmanaged<nint, long*, nuint, OrtTensorElementType, nint*, nint> CreateTensorAsOrtValue;
    public static delegate* unmanaged<nint, void*, nuint, long*, nuint, OrtTensorElementType, nint*, nint> CreateTensorWithDataAsOrtValue;
    public static delegate* unmanaged<nint, int*, nint> IsTensor;
    public static delegate* unmanaged<nint, void**, nint> GetTensorMutableData;
    public static delegate* unmanaged<nint, nint*, nint> CastTypeInfoToTensorInfo;
    public static delegate* unmanaged<nint, OrtValueKind*, nint> GetOnnxTypeFromTypeInfo;
    public static delegate* unmanaged<nint, OrtTensorElementType*, nint> GetTensorElementType;
    public static delegate* unmanaged<nint, nuint*, nint> GetDimensionsCount;
    public static delegate* unmanaged<nint, long*, nuint, nint> GetDimensions;
    public static delegate* unmanaged<nint, byte**, nuint, nint> GetSymbolicDimensions;
    public static delegate* unmanaged<nint, nint*, nint> GetTensorTypeAndShape;
    public static delegate* unmanaged<nint, OrtValueKind*, nint> GetValueType;
    public static delegate* unmanaged<byte*, int, int, int, nint*, nint> CreateMemoryInfo;
    public static delegate* unmanaged<int, int, nint*, nint> CreateCpuMemoryInfo;
    public static delegate* unmanaged<nint, void*, nint> AllocatorFree;
    public static delegate* unmanaged<nint*, nint> GetAllocatorWithDefaultOptions;
    public static delegate* unmanaged<nint, void> ReleaseStatus;
    public static delegate* unmanaged<nint, void> ReleaseMemoryInfo;
    public static delegate* unmanaged<nint, void> ReleaseSession;
    public static delegate* unmanaged<nint, void> ReleaseValue;
    public static delegate* unmanaged<nint, void> ReleaseRunOptions;
    public static delegate* unmanaged<nint, void> ReleaseTypeInfo;
    public static delegate* unmanaged<nint, void> ReleaseTensorTypeAndShapeInfo;
    public static delegate* unmanaged<nint, void> ReleaseSessionOptions;
    public static delegate* unmanaged<nint, nint*, nint> SessionGetModelMetadata;
    public static delegate* unmanaged<nint, nint, byte**, nint> ModelMetadataGetProducerName;
    public static delegate* unmanaged<nint, nint, byte**, nint> ModelMetadataGetGraphName;
    public static delegate* unmanaged<nint, nint, byte**, nint> ModelMetadataGetDomain;
    public static delegate* unmanaged<nint, nint, byte**, nint> ModelMetadataGetDescription;
    public static delegate* unmanaged<nint, nint, byte*, byte**, nint> ModelMetadataLookupCustomMetadataMap;
    public static delegate* unmanaged<nint, long*, nint> ModelMetadataGetVersion;
    public static delegate* unmanaged<nint, void> ReleaseModelMetadata;
    public static delegate* unmanaged<nint, nint, byte***, long*, nint> ModelMetadataGetCustomMetadataMapKeys;
    public static delegate* unmanaged<byte***, int*, nint> GetAvailableProviders;
    public static delegate* unmanaged<byte**, int, nint> ReleaseAvailableProviders;
    public static delegate* unmanaged<nint, byte*, byte*, nint> AddSessionConfigEntry;
    public static delegate* unmanaged<nint, nint, nint, nint> RunWithBinding;
    public static delegate* unmanaged<nint, nint*, nint> CreateIoBinding;
    public static delegate* unmanaged<nint, void> ReleaseIoBinding;
    public static delegate* unmanaged<nint, byte*, nint, nint> BindInput;
    public static delegate* unmanaged<nint, byte*, nint, nint> BindOutput;
    public static delegate* unmanaged<nint, byte*, nint, nint> BindOutputToDevice;
    public static delegate* unmanaged<nint, nint, nint**, nuint*, nint> GetBoundOutputValues;
    public static delegate* unmanaged<nint, void> ClearBoundInputs;
    public static delegate* unmanaged<nint, void> ClearBoundOutputs;
    public static delegate* unmanaged<nint, nint, byte**, nint> ModelMetadataGetGraphDescription;
    public static delegate* unmanaged<nint, byte*, byte*, nint> AddRunConfigEntry;
    public static delegate* unmanaged<nint, nint> SynchronizeBoundInputs;
    public static delegate* unmanaged<nint, nint> SynchronizeBoundOutputs;
    public static delegate* unmanaged<nint, nint, nint> SessionOptionsAppendExecutionProviderCudaV2;
    public static delegate* unmanaged<nint*, nint> CreateCudaProviderOptions;
    public static delegate* unmanaged<nint, byte**, byte**, nuint, nint> UpdateCudaProviderOptions;
    public static delegate* unmanaged<nint, void> ReleaseCudaProviderOptions;
    public static delegate* unmanaged<byte*> GetBuildInfoString;
    public static delegate* unmanaged<nint, nint*, nint> GetTensorMemoryInfo;
    public static delegate* unmanaged<nint, int*, void> MemoryInfoGetDeviceType;
    public static delegate* unmanaged<nint, nint**, nuint*, nint> SessionGetEpGraphAssignmentInfo;
    public static delegate* unmanaged<nint, byte**, nint> EpAssignedSubgraphGetEpName;
    public static delegate* unmanaged<nint, nint**, nuint*, nint> EpAssignedSubgraphGetNodes;
    public static delegate* unmanaged<nint, byte**, nint> EpAssignedNodeGetOperatorType;
    public static delegate* unmanaged<nint, OrtTensorElementType*, long**, nuint*, nint> GetTensorElementTypeAndShapeDataReference;

    /// <summary>The process-wide default CPU allocator (never freed), used to free strings ORT hands back.</summary>
    public static nint DefaultAllocator { get; private set; }

    /// <summary>Reads every slot above from the table at <paramref name="api"/>.</summary>
    public static void Bind(nint api)
    {
        var slot = (nint*)api;
        GetErrorCode = (delegate* unmanaged<nint, OrtErrorCode>)slot[1];
        GetErrorMessage = (delegate* unmanaged<nint, byte*>)slot[2];
        CreateEnvWithCustomLogger = (delegate* unmanaged<nint, nint, int, byte*, nint*, nint>)slot[4];
        CreateSession = (delegate* unmanaged<nint, void*, nint, nint*, nint>)slot[7];
        CreateSessionFromArray = (delegate* unmanaged<nint, void*, nuint, nint, nint*, nint>)slot[8];
        Run = (delegate* unmanaged<nint, nint, nint*, nint*, nuint, nint*, nuint, nint*, nint>)slot[9];
        CreateSessionOptions = (delegate* unmanaged<nint*, nint>)slot[10];
        SetOptimizedModelFilePath = (delegate* unmanaged<nint, void*, nint>)slot[11];
        SetSessionExecutionMode = (delegate* unmanaged<nint, int, nint>)slot[13];
        EnableMemPattern = (delegate* unmanaged<nint, nint>)slot[16];
        DisableMemPattern = (delegate* unmanaged<nint, nint>)slot[17];
        EnableCpuMemArena = (delegate* unmanaged<nint, nint>)slot[18];
        DisableCpuMemArena = (delegate* unmanaged<nint, nint>)slot[19];
        SetSessionLogId = (delegate* unmanaged<nint, byte*, nint>)slot[20];
        SetSessionLogSeverityLevel = (delegate* unmanaged<nint, int, nint>)slot[22];
        SetSessionGraphOptimizationLevel = (delegate* unmanaged<nint, int, nint>)slot[23];
        SetIntraOpNumThreads = (delegate* unmanaged<nint, int, nint>)slot[24];
        SetInterOpNumThreads = (delegate* unmanaged<nint, int, nint>)slot[25];
        SessionGetInputCount = (delegate* unmanaged<nint, nuint*, nint>)slot[30];
        SessionGetOutputCount = (delegate* unmanaged<nint, nuint*, nint>)slot[31];
        SessionGetInputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)slot[33];
        SessionGetOutputTypeInfo = (delegate* unmanaged<nint, nuint, nint*, nint>)slot[34];
        SessionGetInputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)slot[36];
        SessionGetOutputName = (delegate* unmanaged<nint, nuint, nint, byte**, nint>)slot[37];
        CreateRunOptions = (delegate* unmanaged<nint*, nint>)slot[39];
        RunOptionsSetRunLogSeverityLevel = (delegate* unmanaged<nint, int, nint>)slot[41];
        RunOptionsSetRunTag = (delegate* unmanaged<nint, byte*, nint>)slot[42];
        RunOptionsSetTerminate = (delegate* unmanaged<nint, nint>)slot[46];
        RunOptionsUnsetTerminate = (delegate* unmanaged<nint, nint>)slot[47];
        CreateTensorAsOrtValue = (delegate* unmanaged<nint, long*, nuint, OrtTensorElementType, nint*, nint>)slot[48];
        CreateTensorWithDataAsOrtValue = (delegate* unmanaged<nint, void*, nuint, long*, nuint, OrtTensorElementType, nint*, nint>)slot[49];
        IsTensor = (delegate* unmanaged<nint, int*, nint>)slot[50];
        GetTensorMutableData = (delegate* unmanaged<nint, void**, nint>)slot[51];
        CastTypeInfoToTensorInfo = (delegate* unmanaged<nint, nint*, nint>)slot[55];
        GetOnnxTypeFromTypeInfo = (delegate* unmanaged<nint, OrtValueKind*, nint>)slot[56];
        GetTensorElementType = (delegate* unmanaged<nint, OrtTensorElementType*, nint>)slot[60];
        GetDimensionsCount = (delegate* unmanaged<nint, nuint*, nint>)slot[61];
        GetDimensions = (delegate* unmanaged<nint, long*, nuint, nint>)slot[62];
        GetSymbolicDimensions = (delegate* unmanaged<nint, byte**, nuint, nint>)slot[63];
        GetTensorTypeAndShape = (delegate* unmanaged<nint, nint*, nint>)slot[65];
        GetValueType = (delegate* unmanaged<nint, OrtValueKind*, nint>)slot[67];
        CreateMemoryInfo = (delegate* unmanaged<byte*, int, int, int, nint*, nint>)slot[68];
        CreateCpuMemoryInfo = (delegate* unmanaged<int, int, nint*, nint>)slot[69];
        AllocatorFree = (delegate* unmanaged<nint, void*, nint>)slot[76];
        GetAllocatorWithDefaultOptions = (delegate* unmanaged<nint*, nint>)slot[78];
        ReleaseStatus = (delegate* unmanaged<nint, void>)slot[93];
        ReleaseMemoryInfo = (delegate* unmanaged<nint, void>)slot[94];
        ReleaseSession = (delegate* unmanaged<nint, void>)slot[95];
        ReleaseValue = (delegate* unmanaged<nint, void>)slot[96];
        ReleaseRunOptions = (delegate* unmanaged<nint, void>)slot[97];
        ReleaseTypeInfo = (delegate* unmanaged<nint, void>)slot[98];
        ReleaseTensorTypeAndShapeInfo = (delegate* unmanaged<nint, void>)slot[99];
        ReleaseSessionOptions = (delegate* unmanaged<nint, void>)slot[100];
        SessionGetModelMetadata = (delegate* unmanaged<nint, nint*, nint>)slot[111];
        ModelMetadataGetProducerName = (delegate* unmanaged<nint, nint, byte**, nint>)slot[112];
        ModelMetadataGetGraphName = (delegate* unmanaged<nint, nint, byte**, nint>)slot[113];
        ModelMetadataGetDomain = (delegate* unmanaged<nint, nint, byte**, nint>)slot[114];
        ModelMetadataGetDescription = (delegate* unmanaged<nint, nint, byte**, nint>)slot[115];
        ModelMetadataLookupCustomMetadataMap = (delegate* unmanaged<nint, nint, byte*, byte**, nint>)slot[116];
        ModelMetadataGetVersion = (delegate* unmanaged<nint, long*, nint>)slot[117];
        ReleaseModelMetadata = (delegate* unmanaged<nint, void>)slot[118];
        ModelMetadataGetCustomMetadataMapKeys = (delegate* unmanaged<nint, nint, byte***, long*, nint>)slot[123];
        GetAvailableProviders = (delegate* unmanaged<byte***, int*, nint>)slot[125];
        ReleaseAvailableProviders = (delegate* unmanaged<byte**, int, nint>)slot[126];
        AddSessionConfigEntry = (delegate* unmanaged<nint, byte*, byte*, nint>)slot[130];
        RunWithBinding = (delegate* unmanaged<nint, nint, nint, nint>)slot[133];
        CreateIoBinding = (delegate* unmanaged<nint, nint*, nint>)slot[134];
        ReleaseIoBinding = (delegate* unmanaged<nint, void>)slot[135];
        BindInput = (delegate* unmanaged<nint, byte*, nint, nint>)slot[136];
        BindOutput = (delegate* unmanaged<nint, byte*, nint, nint>)slot[137];
        BindOutputToDevice = (delegate* unmanaged<nint, byte*, nint, nint>)slot[138];
        GetBoundOutputValues = (delegate* unmanaged<nint, nint, nint**, nuint*, nint>)slot[140];
        ClearBoundInputs = (delegate* unmanaged<nint, void>)slot[141];
        ClearBoundOutputs = (delegate* unmanaged<nint, void>)slot[142];
        ModelMetadataGetGraphDescription = (delegate* unmanaged<nint, nint, byte**, nint>)slot[158];
        AddRunConfigEntry = (delegate* unmanaged<nint, byte*, byte*, nint>)slot[165];
        SynchronizeBoundInputs = (delegate* unmanaged<nint, nint>)slot[202];
        SynchronizeBoundOutputs = (delegate* unmanaged<nint, nint>)slot[203];
        SessionOptionsAppendExecutionProviderCudaV2 = (delegate* unmanaged<nint, nint, nint>)slot[204];
        CreateCudaProviderOptions = (delegate* unmanaged<nint*, nint>)slot[205];
        UpdateCudaProviderOptions = (delegate* unmanaged<nint, byte**, byte**, nuint, nint>)slot[206];
        ReleaseCudaProviderOptions = (delegate* unmanaged<nint, void>)slot[208];
        GetBuildInfoString = (delegate* unmanaged<byte*>)slot[254];
        GetTensorMemoryInfo = (delegate* unmanaged<nint, nint*, nint>)slot[194];
        MemoryInfoGetDeviceType = (delegate* unmanaged<nint, int*, void>)slot[225];
        SessionGetEpGraphAssignmentInfo = (delegate* unmanaged<nint, nint**, nuint*, nint>)slot[407];
        EpAssignedSubgraphGetEpName = (delegate* unmanaged<nint, byte**, nint>)slot[408];
        EpAssignedSubgraphGetNodes = (delegate* unmanaged<nint, nint**, nuint*, nint>)slot[409];
        EpAssignedNodeGetOperatorType = (delegate* unmanaged<nint, byte**, nint>)slot[412];
        GetTensorElementTypeAndShapeDataReference = (delegate* unmanaged<nint, OrtTensorElementType*, long**, nuint*, nint>)slot[414];

        nint allocator;
        Check(GetAllocatorWithDefaultOptions(&allocator), "getting the default CPU allocator");
        DefaultAllocator = allocator;
    }

    /// <summary>Throws <see cref="OrtException"/> when <paramref name="status"/> is a failure; releases it either way.</summary>
    /// <param name="status">The <c>OrtStatus*</c> a call returned.</param>
    /// <param name="operation">What the binding was doing, for the message; pass a constant on hot paths.</param>
    public static void Check(nint status, string operation)
    {
        if (status != 0)
        {
            throw ToException(status, operation);
        }
    }

    /// <summary>Reads code and message from a failed status, releases it and returns the exception to throw.</summary>
    public static OrtException ToException(nint status, string operation)
    {
        var (code, message) = ReadAndRelease(status);
        return new OrtException(code, message, operation);
    }

    /// <summary>Reads code and message from a failed status and releases it.</summary>
    public static (OrtErrorCode Code, string Message) ReadAndRelease(nint status)
    {
        try
        {
            var code = GetErrorCode(status);
            var message = (Marshal.PtrToStringUTF8((nint)GetErrorMessage(status)) ?? string.Empty).TrimEnd();
            return (code, message);
        }
        finally
        {
            ReleaseStatus(status);
        }
    }

    /// <summary>Copies a string ORT allocated with the default allocator and frees it.</summary>
    public static string TakeString(byte* value)
    {
        if (value == null)
        {
            return string.Empty;
        }

        try
        {
            return Marshal.PtrToStringUTF8((nint)value) ?? string.Empty;
        }
        finally
        {
            AllocatorFree(DefaultAllocator, value);
        }
    }
}
