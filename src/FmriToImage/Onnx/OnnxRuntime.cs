using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FmriToImage.Onnx;

/// <summary>
/// The ONNX Runtime native library: where it is loaded from, its version, its providers, and the one process-wide
/// ONNX Runtime environment whose log goes to an <see cref="ILogger"/>.
/// </summary>
/// <remarks>
/// <para>
/// The library is loaded on first use (any session or value) or by <see cref="Initialize"/>. Resolution order:
/// (1) the path given to <see cref="Initialize"/>; (2) the <c>FMRI2IMG_ONNXRUNTIME</c> environment variable;
/// (3) <c>runtimes/&lt;rid&gt;/native/</c> beside the application, where the official Microsoft.ML.OnnxRuntime(.Gpu)
/// packages put it; (4) the application folder, where this repository's build copies it; (5) the operating system's
/// default search by library name. An explicit path (1 or 2) is used alone: if it fails, nothing else is tried, so a
/// wrong path never silently loads a different library.
/// </para>
/// <para>
/// The library must report version 1.30 or newer and provide API version <c>30</c>. On failure an
/// <see cref="OnnxRuntimeLoadException"/> lists every path tried, what was found there and the version needed.
/// </para>
/// <para>All members are thread-safe. The environment lives until the process exits.</para>
/// </remarks>
public static unsafe class OnnxRuntime
{
    /// <summary>The environment variable that names the native library to load.</summary>
    public const string LibraryPathEnvironmentVariable = "FMRI2IMG_ONNXRUNTIME";

    /// <summary>The oldest ONNX Runtime version this binding accepts (API version 30).</summary>
    public static readonly Version MinimumVersion = new(1, 30);

    private static readonly Lock Gate = new();
    private static volatile LoadedLibrary? loaded;
    private static volatile ILogger logger = NullLogger.Instance;
    private static LogLevel minimumLogLevel = LogLevel.Warning;

    /// <summary>
    /// Where ONNX Runtime's own log messages go (default: nowhere). Messages arrive on ONNX Runtime's threads; the
    /// logger must be thread-safe. May be changed at any time.
    /// </summary>
    public static ILogger Logger
    {
        get => logger;
        set => logger = value ?? NullLogger.Instance;
    }

    /// <summary>The full path or library name the native library was loaded from. Loads it if needed.</summary>
    /// <exception cref="OnnxRuntimeLoadException">No usable library was found.</exception>
    public static string LibraryPath => EnsureLoaded().Path;

    /// <summary>The version string the library reports, e.g. "1.30.0". Loads it if needed.</summary>
    /// <exception cref="OnnxRuntimeLoadException">No usable library was found.</exception>
    public static string Version => EnsureLoaded().Version;

    /// <summary>The library's build description (<c>GetBuildInfoString</c>). Loads it if needed.</summary>
    /// <exception cref="OnnxRuntimeLoadException">No usable library was found.</exception>
    public static string BuildInfo
    {
        get
        {
            EnsureLoaded();
            return Marshal.PtrToStringUTF8((nint)OrtApi.GetBuildInfoString()) ?? string.Empty;
        }
    }

    /// <summary>
    /// The execution providers compiled into the library, e.g. CUDAExecutionProvider, CPUExecutionProvider.
    /// "Compiled in" is not "loadable": the CUDA provider also needs its provider libraries, CUDA and cuDNN; a session
    /// reports what actually ran (<see cref="OrtSession.ExecutionProviders"/>).
    /// </summary>
    /// <exception cref="OnnxRuntimeLoadException">No usable library was found.</exception>
    public static IReadOnlyList<string> AvailableProviders
    {
        get
        {
            EnsureLoaded();
            byte** names;
            int count;
            OrtApi.Check(OrtApi.GetAvailableProviders(&names, &count), "listing the available execution providers");
            try
            {
                var result = new string[count];
                for (var i = 0; i < count; i++)
                {
                    result[i] = Marshal.PtrToStringUTF8((nint)names[i]) ?? string.Empty;
                }

                return result;
            }
            finally
            {
                OrtApi.Check(OrtApi.ReleaseAvailableProviders(names, count), "releasing the provider list");
            }
        }
    }

    /// <summary>
    /// Loads the native library now, optionally from an explicit path, and sets where its log goes. Calling it is
    /// optional; without it the library loads on first use by the resolution order in the remarks of
    /// <see cref="OnnxRuntime"/>.
    /// </summary>
    /// <param name="libraryPath">The library file to load, or null to resolve it.</param>
    /// <param name="logger">Where ONNX Runtime's log goes, or null to leave <see cref="Logger"/> as it is.</param>
    /// <param name="minimumLogLevel">The least severe ONNX Runtime message passed on; fixed once the environment exists.</param>
    /// <exception cref="OnnxRuntimeLoadException">The library could not be loaded or is too old.</exception>
    /// <exception cref="InvalidOperationException">A different library was already loaded in this process.</exception>
    public static void Initialize(string? libraryPath = null, ILogger? logger = null, LogLevel minimumLogLevel = LogLevel.Warning)
    {
        if (logger is not null)
        {
            Logger = logger;
        }

        lock (Gate)
        {
            if (loaded is { } existing)
            {
                if (libraryPath is not null && !SamePath(existing.Path, libraryPath))
                {
                    throw new InvalidOperationException(
                        $"ONNX Runtime is already loaded from '{existing.Path}' in this process; it cannot be reloaded from '{libraryPath}'. Call OnnxRuntime.Initialize before any session is created.");
                }

                return;
            }

            OnnxRuntime.minimumLogLevel = minimumLogLevel;
            loaded = Load(libraryPath);
        }
    }

    /// <summary>The loaded library and environment, loading them on first use.</summary>
    internal static LoadedLibrary EnsureLoaded()
    {
        if (loaded is { } library)
        {
            return library;
        }

        lock (Gate)
        {
            return loaded ??= Load(null);
        }
    }

    /// <summary>The process-wide <c>OrtEnv*</c>.</summary>
    internal static nint Environment => EnsureLoaded().Environment;

    /// <summary>Tries the candidates for <paramref name="explicitPath"/> in order; does not publish the result.</summary>
    internal static LoadedLibrary Load(string? explicitPath)
    {
        var attempts = new List<string>();
        var failures = new List<string>();

        foreach (var (candidate, exclusive) in Candidates(explicitPath))
        {
            attempts.Add(candidate);
            if (TryLoad(candidate, out var library, out var failure))
            {
                return library!;
            }

            failures.Add($"  {candidate}: {failure}");
            if (exclusive)
            {
                break;
            }
        }

        var message =
            $"Could not load the ONNX Runtime native library (version {MinimumVersion.Major}.{MinimumVersion.Minor} or newer, API version {OrtApi.ApiVersion} needed). Tried, in order:{System.Environment.NewLine}" +
            string.Join(System.Environment.NewLine, failures) + System.Environment.NewLine +
            $"Fix: build this repository once (its build fetches the library), add the Microsoft.ML.OnnxRuntime package to your application, or set {LibraryPathEnvironmentVariable} to the library file.";
        throw new OnnxRuntimeLoadException(message, attempts);
    }

    /// <summary>The candidates in resolution order; "exclusive" ones are used alone.</summary>
    internal static IEnumerable<(string Path, bool Exclusive)> Candidates(string? explicitPath)
    {
        if (explicitPath is not null)
        {
            yield return (Path.GetFullPath(explicitPath), true);
            yield break;
        }

        var fromEnvironment = System.Environment.GetEnvironmentVariable(LibraryPathEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            yield return (Path.GetFullPath(fromEnvironment), true);
            yield break;
        }

        var appDirectory = AppContext.BaseDirectory;
        foreach (var rid in RuntimeIdentifiers())
        {
            foreach (var name in LibraryFileNames())
            {
                yield return (Path.Combine(appDirectory, "runtimes", rid, "native", name), false);
            }
        }

        foreach (var name in LibraryFileNames())
        {
            yield return (Path.Combine(appDirectory, name), false);
        }

        foreach (var name in LibraryFileNames())
        {
            yield return (name, false);
        }
    }

    private static IEnumerable<string> RuntimeIdentifiers()
    {
        var os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
        var arch = RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
        var portable = $"{os}-{arch}";
        var reported = RuntimeInformation.RuntimeIdentifier;
        yield return portable;
        if (!string.Equals(reported, portable, StringComparison.OrdinalIgnoreCase))
        {
            yield return reported;
        }
    }

    private static string[] LibraryFileNames()
    {
        if (OperatingSystem.IsWindows())
        {
            return ["onnxruntime.dll"];
        }

        if (OperatingSystem.IsMacOS())
        {
            return ["libonnxruntime.dylib", "libonnxruntime.1.dylib", "libonnxruntime.1.30.0.dylib"];
        }

        return ["libonnxruntime.so", "libonnxruntime.so.1"];
    }

    private static bool TryLoad(string candidate, out LoadedLibrary? library, out string failure)
    {
        library = null;
        var isPath = Path.IsPathRooted(candidate);
        if (isPath && !File.Exists(candidate))
        {
            failure = "no such file";
            return false;
        }

        nint handle;
        try
        {
            if (!NativeLibrary.TryLoad(candidate, out handle))
            {
                failure = isPath ? "the file exists but the operating system could not load it (wrong architecture or a missing dependency)" : "not found by the operating system's library search";
                return false;
            }
        }
        catch (BadImageFormatException)
        {
            failure = "not a native library for this process's architecture";
            return false;
        }

        if (!NativeLibrary.TryGetExport(handle, "OrtGetApiBase", out var getApiBaseAddress))
        {
            NativeLibrary.Free(handle);
            failure = "loaded, but it does not export OrtGetApiBase (not an ONNX Runtime library)";
            return false;
        }

        var apiBase = ((delegate* unmanaged<nint>)getApiBaseAddress)();
        var apiBaseSlots = (nint*)apiBase;
        var getApi = (delegate* unmanaged<uint, nint>)apiBaseSlots[0];
        var getVersionString = (delegate* unmanaged<byte*>)apiBaseSlots[1];
        var version = Marshal.PtrToStringUTF8((nint)getVersionString()) ?? "?";

        if (!System.Version.TryParse(version.Split('-', '+')[0], out var parsed) || parsed < MinimumVersion)
        {
            failure = $"ONNX Runtime {version} found; {MinimumVersion.Major}.{MinimumVersion.Minor} or newer needed";
            return false;
        }

        var api = getApi(OrtApi.ApiVersion);
        if (api == 0)
        {
            failure = $"ONNX Runtime {version} found, but it does not provide API version {OrtApi.ApiVersion}";
            return false;
        }

        OrtApi.Bind(api);
        var path = isPath ? candidate : ResolvedPathOf(candidate, getApiBaseAddress);
        library = new LoadedLibrary(path, version, CreateEnvironment(path));
        failure = string.Empty;
        return true;
    }

    private static string ResolvedPathOf(string name, nint symbol)
    {
        // The OS found the library by name; on Linux the process's memory map tells which file holds the symbol
        // (the file name may differ from the name asked for, e.g. libonnxruntime.so.1.30.0 for libonnxruntime.so).
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/self/maps"))
            {
                var address = (ulong)symbol;
                foreach (var line in File.ReadLines("/proc/self/maps"))
                {
                    var dash = line.IndexOf('-');
                    var space = line.IndexOf(' ');
                    var slash = line.IndexOf('/');
                    if (dash <= 0 || space <= dash || slash < 0
                        || !ulong.TryParse(line.AsSpan(0, dash), System.Globalization.NumberStyles.HexNumber, null, out var start)
                        || !ulong.TryParse(line.AsSpan(dash + 1, space - dash - 1), System.Globalization.NumberStyles.HexNumber, null, out var end))
                    {
                        continue;
                    }

                    if (address >= start && address < end)
                    {
                        return line[slash..];
                    }
                }
            }
        }
        catch (IOException)
        {
        }

        return name + " (found by the operating system's library search)";
    }

    private static nint CreateEnvironment(string path)
    {
        nint environment;
        var logId = "FmriToImage"u8;
        fixed (byte* id = logId)
        {
            OrtApi.Check(
                OrtApi.CreateEnvWithCustomLogger((nint)(delegate* unmanaged<nint, int, byte*, byte*, byte*, byte*, void>)&OnLog, 0, ToOrtSeverity(minimumLogLevel), id, &environment),
                $"creating the ONNX Runtime environment (library '{path}')");
        }

        return environment;
    }

    /// <summary>ONNX Runtime's severity (0 verbose … 4 fatal) for a .NET log level.</summary>
    internal static int ToOrtSeverity(LogLevel level) => level switch
    {
        LogLevel.Trace or LogLevel.Debug => 0,
        LogLevel.Information => 1,
        LogLevel.Warning => 2,
        LogLevel.Error => 3,
        _ => 4,
    };

    private static LogLevel FromOrtSeverity(int severity) => severity switch
    {
        0 => LogLevel.Debug,
        1 => LogLevel.Information,
        2 => LogLevel.Warning,
        3 => LogLevel.Error,
        _ => LogLevel.Critical,
    };

    [UnmanagedCallersOnly]
    private static void OnLog(nint param, int severity, byte* category, byte* logId, byte* codeLocation, byte* message)
    {
        try
        {
            var target = logger;
            var level = FromOrtSeverity(severity);
            if (!target.IsEnabled(level))
            {
                return;
            }

            target.Log(
                level,
                "ONNX Runtime [{LogId}] {Message} ({CodeLocation})",
                Marshal.PtrToStringUTF8((nint)logId),
                Marshal.PtrToStringUTF8((nint)message),
                Marshal.PtrToStringUTF8((nint)codeLocation));
        }
        catch (Exception)
        {
            // An exception must never cross back into native code; a failing logger loses the message only.
        }
    }

    private static bool SamePath(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    /// <summary>A loaded library: where it came from, its version, and the environment created on it.</summary>
    internal sealed record LoadedLibrary(string Path, string Version, nint Environment);
}
