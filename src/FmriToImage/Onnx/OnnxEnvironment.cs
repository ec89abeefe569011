using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Onnx;

/// <summary>
/// The one process-wide ONNX Runtime environment (<see cref="OrtEnv"/>), created on first use with its log forwarded
/// to <see cref="Logger"/> and, when the first session asks for them, global thread pools that sessions share.
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
    private static volatile ILogger logger = NullLogger.Instance;
    private static OrtEnv? environment;
    private static bool hasGlobalThreadPools;

    /// <summary>Where ONNX Runtime's own warnings and errors go (default: nowhere). Messages arrive on ONNX Runtime's threads.</summary>
    public static ILogger Logger
    {
        get => logger;
        set => logger = value ?? NullLogger.Instance;
    }

    /// <summary>The version the native library reports, e.g. "1.32.0".</summary>
    /// <exception cref="OnnxRuntimeLoadException">No native library could be loaded.</exception>
    public static string Version => Ensure(globalThreadPools: false).GetVersionString();

    /// <summary>
    /// The execution providers compiled into the native library. "Compiled in" is not "loadable": the CUDA provider also
    /// needs CUDA 13 and cuDNN 9; a session reports what it was actually created with.
    /// </summary>
    /// <exception cref="OnnxRuntimeLoadException">No native library could be loaded.</exception>
    public static IReadOnlyList<string> AvailableProviders => Ensure(globalThreadPools: false).GetAvailableProviders();

    /// <summary>The environment, created on first use.</summary>
    /// <param name="globalThreadPools">
    /// Whether the caller's session shares the global thread pools; the first call decides whether the environment has
    /// them.
    /// </param>
    /// <exception cref="OnnxRuntimeLoadException">No native library could be loaded.</exception>
    /// <exception cref="InvalidOperationException">Global thread pools are asked for but the environment was created without them.</exception>
    public static OrtEnv Ensure(bool globalThreadPools)
    {
        lock (Gate)
        {
            if (environment is null)
            {
                environment = Create(globalThreadPools);
                hasGlobalThreadPools = globalThreadPools;
            }
            else if (globalThreadPools && !hasGlobalThreadPools)
            {
                throw new InvalidOperationException(
                    "A session asks for ONNX Runtime's global thread pools, but the process's ONNX Runtime environment was created without them by an earlier session; the first session of the process decides (use the same thread-pool setting for every session).");
            }

            return environment;
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

    private static OrtEnv Create(bool globalThreadPools) => Loading(() =>
    {
        var options = new EnvironmentCreationOptions
        {
            logId = "FmriToImage",
            logLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
            loggingFunction = LogFunction,
        };
        if (!globalThreadPools)
        {
            return OrtEnv.CreateInstanceWithOptions(ref options);
        }

        // Global pools: ONNX Runtime's default thread count; workers never spin (they are shared by every session,
        // so a spinning pool would hold the cores between the runs of the pipeline's many sessions).
        using var threading = new OrtThreadingOptions { GlobalSpinControl = false };
        options.threadOptions = threading;
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
            var target = logger;
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
