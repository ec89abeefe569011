using FmriToImage.Onnx;

namespace FmriToImage.Tests.Onnx;

/// <summary>Tests that change process-wide state (environment variables, the log target) run alone, not beside other classes.</summary>
[CollectionDefinition(nameof(ProcessEnvironmentCollection), DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection;

[Collection(nameof(ProcessEnvironmentCollection))]
public sealed class OnnxRuntimeTests
{
    [Fact]
    public void Loads_the_package_library_and_reports_its_version()
    {
        Assert.StartsWith("1.32.", OnnxEnvironment.Version);
    }

    [Fact]
    public void Lists_the_cpu_provider_among_the_compiled_in_providers()
    {
        Assert.Contains("CPUExecutionProvider", OnnxEnvironment.AvailableProviders);
    }

    [Fact]
    public void A_native_library_that_cannot_load_names_the_packages_to_add()
    {
        var error = Assert.Throws<OnnxRuntimeLoadException>(() =>
            OnnxEnvironment.Loading<int>(() => throw new TypeInitializationException("Microsoft.ML.OnnxRuntime.NativeMethods", new DllNotFoundException("Unable to load shared library 'onnxruntime'"))));
        Assert.Contains("Unable to load shared library 'onnxruntime'", error.Message);
        Assert.Contains("Microsoft.ML.OnnxRuntime (CPU", error.Message);
        Assert.Contains("Microsoft.ML.OnnxRuntime.Gpu.Linux (CUDA 13 + cuDNN 9", error.Message);
        Assert.IsAssignableFrom<FmriToImageException>(error);
    }

    [Fact]
    public void Other_failures_pass_through_unchanged()
    {
        Assert.Throws<InvalidOperationException>(() => OnnxEnvironment.Loading<int>(() => throw new InvalidOperationException("not a load failure")));
    }
}
