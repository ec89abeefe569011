namespace FmriToImage.Onnx;

/// <summary>Turns an <see cref="OrtSessionOptions"/> record into settings on a native <c>OrtSessionOptions</c>.</summary>
internal static unsafe class SessionOptionsBuilder
{
    /// <summary>ONNX Runtime's session configuration key: whether intra-op workers spin (<see cref="OrtSessionOptions.Spinning"/>).</summary>
    public const string AllowSpinningKey = "session.intra_op.allow_spinning";

    /// <summary>ONNX Runtime's session configuration key: whether spinning stops when a run returns (<see cref="OrtSessionOptions.Spinning"/>).</summary>
    public const string ForceSpinningStopKey = "session.force_spinning_stop";

    /// <summary>Applies every setting except the execution provider.</summary>
    public static void Apply(nint native, OrtSessionOptions options, string modelName)
    {
        var context = $"configuring the session for '{modelName}'";
        ArgumentOutOfRangeException.ThrowIfNegative(options.IntraOpThreads, nameof(options.IntraOpThreads));
        ArgumentOutOfRangeException.ThrowIfNegative(options.InterOpThreads, nameof(options.InterOpThreads));
        if (!Enum.IsDefined(options.Spinning))
        {
            throw new ArgumentOutOfRangeException(nameof(options.Spinning), options.Spinning, $"{nameof(OrtSessionOptions)}.{nameof(OrtSessionOptions.Spinning)} must be one of {string.Join(", ", Enum.GetNames<OrtThreadSpinning>())}.");
        }

        fixed (byte* logId = NativeText.Utf8(options.LogId ?? Path.GetFileName(modelName)))
        {
            OrtApi.Check(OrtApi.SetSessionLogId(native, logId), context);
        }

        if (options.LogLevel is { } level)
        {
            OrtApi.Check(OrtApi.SetSessionLogSeverityLevel(native, OnnxRuntime.ToOrtSeverity(level)), context);
        }

        OrtApi.Check(OrtApi.SetIntraOpNumThreads(native, options.IntraOpThreads), context);
        OrtApi.Check(OrtApi.SetInterOpNumThreads(native, options.InterOpThreads), context);
        OrtApi.Check(OrtApi.SetSessionGraphOptimizationLevel(native, (int)options.GraphOptimizationLevel), context);
        OrtApi.Check(OrtApi.SetSessionExecutionMode(native, (int)options.ExecutionMode), context);
        OrtApi.Check(options.EnableMemoryPattern ? OrtApi.EnableMemPattern(native) : OrtApi.DisableMemPattern(native), context);
        OrtApi.Check(options.EnableCpuMemoryArena ? OrtApi.EnableCpuMemArena(native) : OrtApi.DisableCpuMemArena(native), context);

        if (options.OptimizedModelFilePath is { } optimizedPath)
        {
            var fullPath = Path.GetFullPath(optimizedPath);
            if (OperatingSystem.IsWindows())
            {
                fixed (char* path = fullPath)
                {
                    OrtApi.Check(OrtApi.SetOptimizedModelFilePath(native, path), $"{context} (optimised model path '{fullPath}')");
                }
            }
            else
            {
                fixed (byte* path = NativeText.Utf8(fullPath))
                {
                    OrtApi.Check(OrtApi.SetOptimizedModelFilePath(native, path), $"{context} (optimised model path '{fullPath}')");
                }
            }
        }

        // Always recorded, so the session can report which execution providers actually run nodes.
        AddConfigEntry(native, "session.record_ep_graph_assignment_info", "1", context);
        if (options.ExecutionProvider == ExecutionProviderPolicy.RequireCuda)
        {
            AddConfigEntry(native, "session.disable_cpu_ep_fallback", "1", context);
        }

        if (!options.ConfigEntries.ContainsKey(AllowSpinningKey))
        {
            AddConfigEntry(native, AllowSpinningKey, options.Spinning == OrtThreadSpinning.Off ? "0" : "1", context);
        }

        if (!options.ConfigEntries.ContainsKey(ForceSpinningStopKey))
        {
            AddConfigEntry(native, ForceSpinningStopKey, options.Spinning == OrtThreadSpinning.WhileRunning ? "1" : "0", context);
        }

        foreach (var (key, value) in options.ConfigEntries)
        {
            AddConfigEntry(native, key, value, context);
        }
    }

    /// <summary>Appends the CUDA execution provider; returns ONNX Runtime's failure, or null on success.</summary>
    public static (OrtErrorCode Code, string Message)? TryAppendCuda(nint native, OrtSessionOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.CudaDeviceId, nameof(options.CudaDeviceId));
        nint cudaOptions;
        var status = OrtApi.CreateCudaProviderOptions(&cudaOptions);
        if (status != 0)
        {
            return OrtApi.ReadAndRelease(status);
        }

        try
        {
            var pairs = new List<KeyValuePair<string, string>> { new("device_id", options.CudaDeviceId.ToString(System.Globalization.CultureInfo.InvariantCulture)) };
            pairs.AddRange(options.CudaOptions.Where(p => p.Key != "device_id"));
            var keys = pairs.Select(p => NativeText.Utf8(p.Key)).ToArray();
            var values = pairs.Select(p => NativeText.Utf8(p.Value)).ToArray();
            var keyHandles = keys.Select(k => System.Runtime.InteropServices.GCHandle.Alloc(k, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
            var valueHandles = values.Select(v => System.Runtime.InteropServices.GCHandle.Alloc(v, System.Runtime.InteropServices.GCHandleType.Pinned)).ToArray();
            try
            {
                var keyPointers = keyHandles.Select(h => h.AddrOfPinnedObject()).ToArray();
                var valuePointers = valueHandles.Select(h => h.AddrOfPinnedObject()).ToArray();
                fixed (nint* k = keyPointers)
                fixed (nint* v = valuePointers)
                {
                    // Needs the provider library: this is where a missing libonnxruntime_providers_*.so surfaces, with its path.
                    status = OrtApi.UpdateCudaProviderOptions(cudaOptions, (byte**)k, (byte**)v, (nuint)pairs.Count);
                }
            }
            finally
            {
                foreach (var h in keyHandles.Concat(valueHandles))
                {
                    h.Free();
                }
            }

            if (status != 0)
            {
                return OrtApi.ReadAndRelease(status);
            }

            status = OrtApi.SessionOptionsAppendExecutionProviderCudaV2(native, cudaOptions);
            return status != 0 ? OrtApi.ReadAndRelease(status) : null;
        }
        finally
        {
            OrtApi.ReleaseCudaProviderOptions(cudaOptions);
        }
    }

    private static void AddConfigEntry(nint native, string key, string value, string context)
    {
        fixed (byte* k = NativeText.Utf8(key))
        fixed (byte* v = NativeText.Utf8(value))
        {
            OrtApi.Check(OrtApi.AddSessionConfigEntry(native, k, v), $"{context} (config entry '{key}' = '{value}')");
        }
    }
}
