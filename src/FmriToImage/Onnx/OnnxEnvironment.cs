using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Onnx;

/// <summary>
/// The one process-wide ONNX Runtime environment (<see cref="OrtEnv"/>), created on first use with its log forwarded
/// to <see cref="Logger"/> and with global thread pools that sessions may share
/// (<see cref="SessionSettings.UseGlobalThreadPool"/>; idle while no session uses them).
/// A native library that cannot be loaded surfaces here as <see cref="OnnxRuntimeLoadException"/> saying which
/// package to add.
/// </summary>
/// <remarks>Thread-safe. The environment lives until the process exits.</remarks>
internal static class OnnxEnvironment
{
    /// <summary>The native package an application adds for CPU; named in every load failure.</summary>
    public const string CpuPackage = "Microsoft.ML.OnnxRuntime";

    /// <summary>The native package an application adds for CUDA on Linux.</summary>
    public const string CudaPackage = "Microsoft.ML.OnnxRuntime.Gpu.Linux";

    private static readonly Lock Gate = new();
    private static readonly DOrtLoggingFunction LogFunction = OnLog; // kept alive for the life of the environment
    private static volatile ILogger _logger = NullLogger.Instance;
    private static OrtEnv? _environment;

    /// <summary>Where ONNX Runtime's own warnings and errors go (default: nowhere). Messages arrive on ONNX Runtime's threads.</summary>
    public static ILogger Logger
    {
        get => _logger;
        set => _logger = value ?? NullLogger.Instance;
    }

    /// <summary>The version the native library reports, e.g. "1.32.0".</summary>
    /// <exception cref="OnnxRuntimeLoadException">No native library could be loaded.</exception>
    public static string Version => Ensure().GetVersionString();

    /// <summary>
    /// The execution providers compiled into the native library. "Compiled in" is not "loadable": the CUDA provider also
    /// needs CUDA 13 and cuDNN 9; a session reports what it was actually created with.
    /// </summary>
    /// <exception cref="OnnxRuntimeLoadException">No native library could be loaded.</exception>
    public static IReadOnlyList<string> AvailableProviders => Ensure().GetAvailableProviders();

    /// <summary>The environment, created on first use.</summary>
    /// <exception cref="OnnxRuntimeLoadException">No native library could be loaded.</exception>
    public static OrtEnv Ensure()
    {
        lock (Gate)
        {
            return _environment ??= Create();
        }
    }

    /// <summary>Runs <paramref name="create"/>, turning a native library that cannot be loaded into <see cref="OnnxRuntimeLoadException"/>.</summary>
    public static T Loading<T>(Func<T> create)
    {
        try
        {
            return create();
        }
        catch (Exception e) when (IsLoadFailure(e))
        {
            throw new OnnxRuntimeLoadException(
                $"The ONNX Runtime native library could not be loaded ({Innermost(e).Message}). FmriToImage uses ONNX Runtime's managed API only; the application adds one native package: {CpuPackage} (CPU, every platform) or {CudaPackage} (CUDA 13 + cuDNN 9, linux-x64), version 1.32.0 or newer of the same release as Microsoft.ML.OnnxRuntime.Managed.",
                e);
        }
    }

    private static OrtEnv Create() => Loading(() =>
    {
        // Global pools of ONNX Runtime's default size (one intra-op thread per physical core). Their workers may spin;
        // a session on them stops the spinning when its run returns, as with its own pool (session.force_spinning_stop).
        using var threading = new OrtThreadingOptions { GlobalSpinControl = true };
        var options = new EnvironmentCreationOptions
        {
            logId = "FmriToImage",
            logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
            loggingFunction = LogFunction,
            threadOptions = threading,
        };
        return OrtEnv.CreateInstanceWithOptions(ref options);
    });

    private static bool IsLoadFailure(Exception e) =>
        Innermost(e) is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException;

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is { } inner)
        {
            e = inner;
        }

        return e;
    }

    private static void OnLog(nint param, OrtLoggingLevel severity, string category, string logId, string codeLocation, string message)
    {
        try
        {
            var target = _logger;
            var level = severity switch
            {
                OrtLoggingLevel.ORT_LOGGING_LEVEL_VERBOSE => LogLevel.Debug,
                OrtLoggingLevel.ORT_LOGGING_LEVEL_INFO => LogLevel.Information,
                OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING => LogLevel.Warning,
                OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR => LogLevel.Error,
                _ => LogLevel.Critical,
            };
            if (target.IsEnabled(level))
            {
                target.Log(level, "ONNX Runtime [{LogId}] {Message} ({CodeLocation})", logId, message, codeLocation);
            }
        }
        catch (Exception)
        {
            // An exception must never cross back into native code; a failing logger loses the message only.
        }
    }
}
