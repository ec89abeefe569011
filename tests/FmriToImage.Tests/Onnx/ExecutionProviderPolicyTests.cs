using FmriToImage.Onnx;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Tests.Onnx;

public sealed class ExecutionProviderPolicyTests
{
    private static bool CudaProviderInstalled =>
        Directory.EnumerateFiles(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so", SearchOption.AllDirectories).Any();

    [Fact]
    public void Require_cuda_without_the_cuda_provider_fails_naming_the_missing_provider_library()
    {
        if (CudaProviderInstalled)
        {
            return; // this machine can run CUDA; the GPU path is checked by the device run, not here.
        }

        var error = Assert.Throws<ExecutionProviderUnavailableException>(() =>
            GraphSession.Open(TestFiles.OnnxModel("add.onnx"), new SessionSettings { ExecutionProvider = ExecutionProviderPolicy.RequireCuda }));
        Assert.Equal("CUDAExecutionProvider", error.Provider);
        Assert.Contains("add.onnx", error.Message);
        Assert.Contains("RequireCuda", error.Message);
        // The tests are built with the CPU package: the message says that the CUDA provider library is not there and
        // which package brings it; CUDA 13 + cuDNN 9 are named when the provider is present but its libraries are not.
        Assert.Contains(OperatingSystem.IsWindows() ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so", error.Message);
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu.Linux", error.Message);
    }

    [Fact]
    public void Prefer_cuda_without_the_cuda_provider_falls_back_to_cpu_and_says_so()
    {
        if (CudaProviderInstalled)
        {
            return;
        }

        var logger = new RecordingLogger();
        using var session = GraphSession.Open(TestFiles.OnnxModel("add.onnx"), new SessionSettings { ExecutionProvider = ExecutionProviderPolicy.PreferCuda }, logger);
        Assert.Equal(["CPUExecutionProvider"], session.ExecutionProviders);
        Assert.NotNull(session.ExecutionProviderFallbackReason);
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu.Linux", session.ExecutionProviderFallbackReason);
        Assert.Contains("runs on CPU", session.ExecutionProviderFallbackReason);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("runs on CPU", StringComparison.Ordinal));

        using var v = OrtValue.CreateTensor(new float[] { 1, 2, 3 }, [1, 3]);
        using var outputs = session.Run([new("a", v), new("b", v)]);
        Assert.Equal([2f, 4, 6], outputs.First().ToArray<float>());
    }

    [Fact]
    public void Cpu_policy_reports_no_fallback()
    {
        var logger = new RecordingLogger();
        using var session = GraphSession.Open(TestFiles.OnnxModel("add.onnx"), logger: logger);
        Assert.Null(session.ExecutionProviderFallbackReason);
        Assert.DoesNotContain(logger.Entries, e => e.Level >= LogLevel.Warning);
    }
}
