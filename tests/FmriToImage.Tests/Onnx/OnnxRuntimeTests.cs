using FmriToImage.Onnx;

namespace FmriToImage.Tests.Onnx;

/// <summary>Tests that change process-wide state (environment variables) run alone, not beside other classes.</summary>
[CollectionDefinition(nameof(ProcessEnvironmentCollection), DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection;

[Collection(nameof(ProcessEnvironmentCollection))]
public sealed class OnnxRuntimeTests
{
    [Fact]
    public void Loads_the_pinned_library_and_reports_its_version()
    {
        Assert.StartsWith("1.30.", OnnxRuntime.Version);
        Assert.True(File.Exists(OnnxRuntime.LibraryPath), OnnxRuntime.LibraryPath);
        Assert.Contains("ORT Build Info", OnnxRuntime.BuildInfo);
    }

    [Fact]
    public void Lists_the_cpu_provider_among_the_compiled_in_providers()
    {
        Assert.Contains("CPUExecutionProvider", OnnxRuntime.AvailableProviders);
    }

    [Fact]
    public void An_explicit_missing_path_fails_naming_the_path_and_the_version_needed_without_trying_others()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-dir", "libonnxruntime.so");
        var error = Assert.Throws<OnnxRuntimeLoadException>(() => OnnxRuntime.Load(missing));
        Assert.Equal([Path.GetFullPath(missing)], error.PathsTried);
        Assert.Contains(missing, error.Message);
        Assert.Contains("no such file", error.Message);
        Assert.Contains("1.30 or newer", error.Message);
        Assert.Contains("API version 30", error.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_library_fails_with_a_reason()
    {
        var garbage = Path.Combine(Path.GetTempPath(), $"not-a-library-{Guid.NewGuid():N}.so");
        File.WriteAllBytes(garbage, [1, 2, 3, 4, 5, 6, 7, 8]);
        try
        {
            var error = Assert.Throws<OnnxRuntimeLoadException>(() => OnnxRuntime.Load(garbage));
            Assert.Contains(garbage, error.Message);
            Assert.Contains("could not load it", error.Message);
        }
        finally
        {
            File.Delete(garbage);
        }
    }

    [Fact]
    public void A_native_library_that_is_not_onnx_runtime_is_rejected()
    {
        var other = new[] { "/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1" }.FirstOrDefault(File.Exists);
        if (other is null || !OperatingSystem.IsLinux())
        {
            return; // needs some native library that is not ONNX Runtime; zlib is on every Debian machine.
        }

        var error = Assert.Throws<OnnxRuntimeLoadException>(() => OnnxRuntime.Load(other));
        Assert.Contains("does not export OrtGetApiBase", error.Message);
    }

    [Fact]
    public void Resolution_order_is_environment_variable_alone_when_set_else_runtimes_folder_then_app_folder_then_os_search()
    {
        var previous = Environment.GetEnvironmentVariable(OnnxRuntime.LibraryPathEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(OnnxRuntime.LibraryPathEnvironmentVariable, "/opt/ort/libonnxruntime.so");
            var fromVariable = OnnxRuntime.Candidates(null).ToList();
            Assert.Equal([("/opt/ort/libonnxruntime.so", true)], fromVariable);

            Environment.SetEnvironmentVariable(OnnxRuntime.LibraryPathEnvironmentVariable, null);
            var searched = OnnxRuntime.Candidates(null).Select(c => c.Path).ToList();
            var runtimesFolder = searched.FindIndex(p => p.Contains(Path.Combine("runtimes", ""), StringComparison.Ordinal) && p.Contains("native", StringComparison.Ordinal));
            var appFolder = searched.FindIndex(p => Path.GetDirectoryName(p) == Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));
            var bareName = searched.FindIndex(p => !Path.IsPathRooted(p));
            Assert.True(runtimesFolder >= 0 && runtimesFolder < appFolder && appFolder < bareName, string.Join(Environment.NewLine, searched));

            Assert.Equal([(Path.GetFullPath("x/libonnxruntime.so"), true)], OnnxRuntime.Candidates("x/libonnxruntime.so").ToList());
        }
        finally
        {
            Environment.SetEnvironmentVariable(OnnxRuntime.LibraryPathEnvironmentVariable, previous);
        }
    }

    [Fact]
    public void Initialize_with_another_library_after_loading_is_refused()
    {
        _ = OnnxRuntime.Version;
        var error = Assert.Throws<InvalidOperationException>(() => OnnxRuntime.Initialize("/elsewhere/libonnxruntime.so"));
        Assert.Contains("already loaded", error.Message);
        OnnxRuntime.Initialize(OnnxRuntime.LibraryPath); // the same library: no-op
    }
}
