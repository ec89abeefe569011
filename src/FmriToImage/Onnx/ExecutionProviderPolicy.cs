namespace FmriToImage.Onnx;

/// <summary>Which hardware the library asks ONNX Runtime for, and what happens when it is not available.</summary>
/// <remarks>
/// CUDA needs the <c>Microsoft.ML.OnnxRuntime.Gpu.Linux</c> package (instead of <c>Microsoft.ML.OnnxRuntime</c>) and,
/// on the machine, CUDA 13 (<c>libcudart.so.13</c>, <c>libcublasLt.so.13</c>, ...) and cuDNN 9. Any other provider
/// (TensorRT, OpenVINO, ROCm, DirectML, CoreML, ...) is appended by the application's session hook.
/// </remarks>
public enum ExecutionProviderPolicy
{
    /// <summary>No provider is appended by the library: ONNX Runtime's CPU provider (and whatever the application's hook appends).</summary>
    Cpu = 0,

    /// <summary>
    /// CUDA when ONNX Runtime can load its CUDA provider; otherwise CPU, and the fallback is logged as a warning and
    /// reported per component (<see cref="Bundle.BundleComponent.ExecutionProviderFallbackReason"/>) — never silent.
    /// </summary>
    PreferCuda = 1,

    /// <summary>
    /// CUDA or nothing: opening fails with <see cref="ExecutionProviderUnavailableException"/> when the CUDA provider
    /// cannot be loaded or a session cannot be created on it. As with <see cref="PreferCuda"/>, ONNX Runtime still
    /// places the few nodes the CUDA provider leaves to the CPU (shape arithmetic, operators without a CUDA kernel for
    /// their types) on the CPU provider: forbidding that (<c>session.disable_cpu_ep_fallback = 1</c>) fails on ordinary
    /// graphs (measured on an H200: the demo's CLIP text encoder), so it is left to the application's session hook.
    /// </summary>
    RequireCuda = 2,
}
