using System.Globalization;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Onnx;

/// <summary>Turns a <see cref="SessionSettings"/> record into ONNX Runtime's <see cref="SessionOptions"/>.</summary>
internal static class SessionOptionsFactory
{
    /// <summary>ONNX Runtime's session configuration key: whether intra-op workers spin (<see cref="SessionSettings.Spinning"/>).</summary>
    public const string AllowSpinningKey = "session.intra_op.allow_spinning";

    /// <summary>ONNX Runtime's session configuration key: whether spinning stops when a run returns (<see cref="SessionSettings.Spinning"/>).</summary>
    public const string ForceSpinningStopKey = "session.force_spinning_stop";

    /// <summary>ONNX Runtime's session configuration key: how long an idle worker spins before it blocks (<see cref="SessionSettings.SpinMicroseconds"/>).</summary>
    public const string SpinDurationKey = "session.intra_op.spin_duration_us";


    /// <summary>The provider names as ONNX Runtime reports them.</summary>
    public const string CudaProvider = "CUDAExecutionProvider";

    /// <summary>The CPU provider's name.</summary>
    public const string CpuProvider = "CPUExecutionProvider";

    /// <summary>New options with every setting except the execution provider; the caller disposes them.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A thread count is negative or <see cref="SessionSettings.Spinning"/> is undefined (named).</exception>
    public static SessionOptions Create(SessionSettings settings, string modelName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(settings.IntraOpThreads, nameof(settings.IntraOpThreads));
        ArgumentOutOfRangeException.ThrowIfNegative(settings.InterOpThreads, nameof(settings.InterOpThreads));
        ArgumentOutOfRangeException.ThrowIfNegative(settings.CudaDeviceId, nameof(settings.CudaDeviceId));
        if (settings.SpinMicroseconds is { } spin)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(spin, 1, nameof(settings.SpinMicroseconds));
        }

        if (!Enum.IsDefined(settings.Spinning))
        {
            throw new ArgumentOutOfRangeException(nameof(settings.Spinning), settings.Spinning, $"{nameof(SessionSettings)}.{nameof(SessionSettings.Spinning)} must be one of {string.Join(", ", Enum.GetNames<ThreadSpinning>())}.");
        }

        var options = new SessionOptions();
        try
        {
            options.LogId = settings.LogId ?? Path.GetFileName(modelName);
            if (settings.LogLevel is { } level)
            {
                options.LogSeverityLevel = level switch
                {
                    Microsoft.Extensions.Logging.LogLevel.Trace or Microsoft.Extensions.Logging.LogLevel.Debug => OrtLoggingLevel.ORT_LOGGING_LEVEL_VERBOSE,
                    Microsoft.Extensions.Logging.LogLevel.Information => OrtLoggingLevel.ORT_LOGGING_LEVEL_INFO,
                    Microsoft.Extensions.Logging.LogLevel.Warning => OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING,
                    Microsoft.Extensions.Logging.LogLevel.Error => OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
                    _ => OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL,
                };
            }

            options.IntraOpNumThreads = settings.IntraOpThreads;
            options.InterOpNumThreads = settings.InterOpThreads;
            options.GraphOptimizationLevel = settings.GraphOptimizationLevel;
            options.ExecutionMode = settings.ExecutionMode;
            options.EnableMemoryPattern = settings.EnableMemoryPattern;
            options.EnableCpuMemArena = settings.EnableCpuMemoryArena;
            if (settings.OptimizedModelFilePath is { } optimized)
            {
                options.OptimizedModelFilePath = Path.GetFullPath(optimized);
            }

            if (settings.UseGlobalThreadPool)
            {
                options.DisablePerSessionThreads();
            }

            if (!settings.ConfigEntries.ContainsKey(AllowSpinningKey))
            {
                options.AddSessionConfigEntry(AllowSpinningKey, settings.Spinning == ThreadSpinning.Off ? "0" : "1");
            }

            if (!settings.ConfigEntries.ContainsKey(ForceSpinningStopKey))
            {
                options.AddSessionConfigEntry(ForceSpinningStopKey, settings.Spinning == ThreadSpinning.WhileRunning ? "1" : "0");
            }

            if (settings.Spinning == ThreadSpinning.WhileRunning && settings.SpinMicroseconds is { } microseconds && !settings.ConfigEntries.ContainsKey(SpinDurationKey))
            {
                options.AddSessionConfigEntry(SpinDurationKey, microseconds.ToString(CultureInfo.InvariantCulture));
            }

            foreach (var (key, value) in settings.ConfigEntries)
            {
                options.AddSessionConfigEntry(key, value);
            }

            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }

    /// <summary>Appends the CUDA provider with the settings' device and options.</summary>
    /// <exception cref="OnnxRuntimeException">The provider could not be loaded (ONNX Runtime's reason).</exception>
    public static void AppendCuda(SessionOptions options, SessionSettings settings)
    {
        using var cuda = new OrtCUDAProviderOptions();
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal) { ["device_id"] = settings.CudaDeviceId.ToString(CultureInfo.InvariantCulture) };
        foreach (var (key, value) in settings.CudaOptions.Where(p => p.Key != "device_id"))
        {
            pairs[key] = value;
        }

        cuda.UpdateOptions(pairs);
        options.AppendExecutionProvider_CUDA(cuda);
    }
}
