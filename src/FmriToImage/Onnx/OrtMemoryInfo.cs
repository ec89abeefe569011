namespace FmriToImage.Onnx;

/// <summary>
/// Describes where tensor memory lives (CPU, or a CUDA device), for binding outputs to a device with
/// <see cref="OrtIoBinding.BindOutputToDevice"/>. Owns a native <c>OrtMemoryInfo</c>.
/// </summary>
/// <remarks>Immutable once created; safe to share between threads. Dispose releases the native object.</remarks>
public sealed unsafe class OrtMemoryInfo : IDisposable
{
    private static readonly Lazy<OrtMemoryInfo> CpuInstance = new(() => CreateCpu(), LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly OrtHandle handle;

    private OrtMemoryInfo(nint pointer, string description)
    {
        handle = new OrtHandle(pointer, OrtApi.ReleaseMemoryInfo);
        Description = description;
    }

    /// <summary>CPU memory (arena allocator, default memory type); shared for the life of the process, never disposed.</summary>
    public static OrtMemoryInfo Cpu => CpuInstance.Value;

    /// <summary>What this memory is, e.g. "Cpu" or "Cuda:0".</summary>
    public string Description { get; }

    /// <summary>Device memory of CUDA device <paramref name="deviceId"/>.</summary>
    /// <param name="deviceId">The CUDA device ordinal, 0 or more.</param>
    /// <returns>A new memory description the caller disposes.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="deviceId"/> is negative.</exception>
    /// <exception cref="OnnxRuntimeLoadException">The native library could not be loaded.</exception>
    public static OrtMemoryInfo CreateCuda(int deviceId = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(deviceId);
        OnnxRuntime.EnsureLoaded();
        nint pointer;
        var name = "Cuda"u8;
        fixed (byte* namePointer = name)
        {
            // OrtDeviceAllocator = 0, OrtMemTypeDefault = 0.
            OrtApi.Check(OrtApi.CreateMemoryInfo(namePointer, 0, deviceId, 0, &pointer), $"describing CUDA device {deviceId} memory");
        }

        return new OrtMemoryInfo(pointer, $"Cuda:{deviceId}");
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (!ReferenceEquals(this, CpuInstance.IsValueCreated ? CpuInstance.Value : null))
        {
            handle.Dispose();
        }
    }

    /// <inheritdoc />
    public override string ToString() => Description;

    internal OrtHandle.Lease Acquire() => handle.Acquire(nameof(OrtMemoryInfo));

    private static OrtMemoryInfo CreateCpu()
    {
        OnnxRuntime.EnsureLoaded();
        nint pointer;
        // OrtArenaAllocator = 1, OrtMemTypeDefault = 0.
        OrtApi.Check(OrtApi.CreateCpuMemoryInfo(1, 0, &pointer), "describing CPU memory");
        return new OrtMemoryInfo(pointer, "Cpu");
    }
}
