namespace FmriToImage.Onnx;

/// <summary>Which hardware a session runs on, and what happens when the preferred one is not available.</summary>
public enum ExecutionProviderPolicy
{
    /// <summary>CPU only.</summary>
    Cpu = 0,

    /// <summary>
    /// CUDA when ONNX Runtime can load its CUDA provider; otherwise CPU, and the fallback is logged as a warning and
    /// reported on <see cref="OrtSession.ExecutionProviderFallbackReason"/> — never silent.
    /// </summary>
    PreferCuda = 1,

    /// <summary>
    /// CUDA or nothing: session creation throws <see cref="ExecutionProviderUnavailableException"/> when the CUDA
    /// provider cannot be loaded, and fails when any node would run on CPU (<c>session.disable_cpu_ep_fallback=1</c>).
    /// </summary>
    RequireCuda = 2,
}
