using System.Text.RegularExpressions;

namespace FmriToImage.Onnx;

/// <summary>
/// What the CUDA execution provider needs, and a message naming what is missing when it cannot load: the
/// <c>Microsoft.ML.OnnxRuntime.Gpu.Linux</c> package's provider libraries beside <c>libonnxruntime</c>, CUDA 13 and
/// cuDNN 9 on the library path.
/// </summary>
internal static partial class CudaRequirements
{
    /// <summary>
    /// What ONNX Runtime 1.32's CUDA provider needs: the libraries its <c>libonnxruntime_providers_cuda.so</c> links
    /// against (read from its ELF NEEDED entries), the driver's <c>libcuda.so.1</c>, and cuDNN 9, which it loads on demand.
    /// </summary>
    public const string NeededLibraries = "CUDA 13 (libcudart.so.13, libcublas.so.13, libcublasLt.so.13, libcurand.so.10), the NVIDIA driver (libcuda.so.1) and cuDNN 9 (libcudnn.so.9)";

    /// <summary>Why the provider could not load, what is missing, and what to install.</summary>
    public static string Explain(string runtimeMessage)
    {
        var providerLibrary = OperatingSystem.IsWindows() ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
        var missing = CannotOpen().Match(runtimeMessage) is { Success: true } m ? m.Groups["name"].Value
            : AnyLibrary().Match(runtimeMessage) is { Success: true } any ? any.Groups["name"].Value : null;
        var hasProvider = ProviderLibraryPresent(providerLibrary);
        var what = !hasProvider
            ? $"{providerLibrary} is not beside the ONNX Runtime library: this program was built with the CPU package; build it with {OnnxEnvironment.CudaPackage} instead (samples: -p:OnnxRuntimeFlavor=Gpu)."
            : missing is not null && missing.Contains("providers", StringComparison.Ordinal)
                ? $"{missing} could not be loaded."
                : missing is not null
                    ? $"{missing} is missing: install {NeededLibraries} and put their folders on LD_LIBRARY_PATH."
                    : $"the provider needs {NeededLibraries} on the library path (LD_LIBRARY_PATH) and a CUDA device.";
        return $"the CUDA execution provider could not be loaded: {what} ONNX Runtime said: {runtimeMessage}";
    }

    /// <summary>Whether the CUDA provider library sits where ONNX Runtime looks for it (beside the application or in its runtimes folder).</summary>
    private static bool ProviderLibraryPresent(string fileName)
    {
        var app = AppContext.BaseDirectory;
        return File.Exists(Path.Combine(app, fileName))
            || (Directory.Exists(Path.Combine(app, "runtimes"))
                && Directory.EnumerateFiles(Path.Combine(app, "runtimes"), fileName, SearchOption.AllDirectories).Any());
    }

    /// <summary>The library the loader could not open: "libcublasLt.so.13: cannot open shared object file".</summary>
    [GeneratedRegex(@"(?<name>[^\s:'""/\\]+\.(so|dll)(\.[0-9]+)*)\s*:\s*cannot open shared object file", RegexOptions.CultureInvariant)]
    private static partial Regex CannotOpen();

    /// <summary>The first library ONNX Runtime names.</summary>
    [GeneratedRegex(@"(?<name>[^\s:'""/\\]+\.(so|dll)(\.[0-9]+)*)", RegexOptions.CultureInvariant)]
    private static partial Regex AnyLibrary();
}
