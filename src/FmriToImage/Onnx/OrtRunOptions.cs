namespace FmriToImage.Onnx;

/// <summary>
/// Per-run settings, and the switch that stops a run in flight (<see cref="Terminate"/>). Owns a native
/// <c>OrtRunOptions</c>.
/// </summary>
/// <remarks>
/// One instance may serve many runs one after another; it must not be used by two runs at once.
/// <see cref="Terminate"/> may be called from any thread. The terminate flag is sticky: after a terminated run, call
/// <see cref="ResetTerminate"/> before reusing the instance (runs that take a <see cref="CancellationToken"/> do this
/// for you).
/// </remarks>
public sealed unsafe class OrtRunOptions : IDisposable
{
    private readonly OrtHandle handle;

    /// <summary>Creates run options with ONNX Runtime's defaults.</summary>
    /// <exception cref="OnnxRuntimeLoadException">The native library could not be loaded.</exception>
    public OrtRunOptions()
    {
        OnnxRuntime.EnsureLoaded();
        nint pointer;
        OrtApi.Check(OrtApi.CreateRunOptions(&pointer), "creating run options");
        handle = new OrtHandle(pointer, OrtApi.ReleaseRunOptions);
    }

    /// <summary>Asks every run using these options to stop as soon as possible; such a run then fails.</summary>
    /// <exception cref="ObjectDisposedException">The options were disposed.</exception>
    public void Terminate()
    {
        using var lease = Acquire();
        OrtApi.Check(OrtApi.RunOptionsSetTerminate(lease.Pointer), "setting the terminate flag");
    }

    /// <summary>Clears the terminate flag so the options can serve another run.</summary>
    /// <exception cref="ObjectDisposedException">The options were disposed.</exception>
    public void ResetTerminate()
    {
        using var lease = Acquire();
        OrtApi.Check(OrtApi.RunOptionsUnsetTerminate(lease.Pointer), "clearing the terminate flag");
    }

    /// <summary>Tags the runs' log messages with <paramref name="tag"/>.</summary>
    /// <param name="tag">Any text.</param>
    public void SetTag(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        using var lease = Acquire();
        fixed (byte* text = NativeText.Utf8(tag))
        {
            OrtApi.Check(OrtApi.RunOptionsSetRunTag(lease.Pointer, text), "setting the run tag");
        }
    }

    /// <summary>Adds a run configuration entry, e.g. <c>memory.enable_memory_arena_shrinkage</c> = <c>cpu:0</c>.</summary>
    /// <param name="key">The ONNX Runtime run config key.</param>
    /// <param name="value">Its value.</param>
    /// <exception cref="OrtException">ONNX Runtime rejected the entry.</exception>
    public void AddConfigEntry(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(value);
        using var lease = Acquire();
        fixed (byte* k = NativeText.Utf8(key))
        fixed (byte* v = NativeText.Utf8(value))
        {
            OrtApi.Check(OrtApi.AddRunConfigEntry(lease.Pointer, k, v), $"adding run config entry '{key}' = '{value}'");
        }
    }

    /// <summary>Releases the native options. Idempotent.</summary>
    public void Dispose() => handle.Dispose();

    internal OrtHandle.Lease Acquire() => handle.Acquire(nameof(OrtRunOptions));
}
