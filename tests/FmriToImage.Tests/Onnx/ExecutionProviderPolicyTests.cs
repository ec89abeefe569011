using FmriToImage.Onnx;
using Microsoft.Extensions.Logging;

namespace FmriToImage.Tests.Onnx;

public sealed class ExecutionProviderPolicyTests
{
    private static bool CudaProviderInstalled =>
        File.Exists(Path.Combine(Path.GetDirectoryName(OnnxRuntime.LibraryPath) ?? ".", OperatingSystem.IsWindows() ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so"));

    [Fact]
    public void Require_cuda_without_the_cuda_provider_fails_naming_the_missing_provider_library()
    {
        if (CudaProviderInstalled)
        {
            return; // this machine can run CUDA; the GPU path is checked by the device run, not here.
        }

        var error = Assert.Throws<ExecutionProviderUnavailableException>(() =>
            OrtSession.Open(TestFiles.OnnxModel("add.onnx"), new OrtSessionOptions { ExecutionProvider = ExecutionProviderPolicy.RequireCuda }));
        Assert.Equal("CUDAExecutionProvider", error.Provider);
        Assert.Contains("add.onnx", error.Message);
        Assert.Contains("RequireCuda", error.Message);
        Assert.Contains(OperatingSystem.IsWindows() ? "onnxruntime_providers_shared.dll" : "libonnxruntime_providers_shared.so", error.Message);
        Assert.Contains("CUDA 12", error.Message);
    }

    [Fact]
    public void Prefer_cuda_without_the_cuda_provider_falls_back_to_cpu_and_says_so()
    {
        if (CudaProviderInstalled)
        {
            return;
        }

        var logger = new RecordingLogger();
        using var session = OrtSession.Open(TestFiles.OnnxModel("add.onnx"), new OrtSessionOptions { ExecutionProvider = ExecutionProviderPolicy.PreferCuda }, logger);
        Assert.Equal(["CPUExecutionProvider"], session.ExecutionProviders);
        Assert.NotNull(session.ExecutionProviderFallbackReason);
        Assert.Contains("runs on CPU", session.ExecutionProviderFallbackReason);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("runs on CPU", StringComparison.Ordinal));

        using var v = OrtValue.CreateTensor(new float[] { 1, 2, 3 }, [1, 3]);
        using var outputs = session.Run([new("a", v), new("b", v)]);
        Assert.Equal([2f, 4, 6], outputs[0].ToArray<float>());
    }

    [Fact]
    public void Cpu_policy_reports_no_fallback()
    {
        var logger = new RecordingLogger();
        using var session = OrtSession.Open(TestFiles.OnnxModel("add.onnx"), logger: logger);
        Assert.Null(session.ExecutionProviderFallbackReason);
        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Warning);
    }
}
