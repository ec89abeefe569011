using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace FmriToImage.Onnx;

/// <summary>
/// An ONNX value — in practice a dense tensor — that is passed to or returned by <see cref="OrtSession"/>. Either
/// wraps caller memory without copying (<see cref="CreateTensor{T}(Memory{T}, ReadOnlySpan{long})"/>: the memory is
/// pinned for the value's life) or owns memory ONNX Runtime allocated (<see cref="AllocateTensor{T}"/> and run outputs).
/// </summary>
/// <remarks>
/// Owns one native <c>OrtValue</c>; <see cref="Dispose"/> releases it (and unpins caller memory) exactly once and may
/// be called any number of times. Reading metadata is thread-safe; writing the data from several threads at once, or
/// while a run uses the value, is not.
/// </remarks>
public sealed unsafe class OrtValue : IDisposable
{
    private readonly OrtHandle handle;
    // Type and shape travel together in one immutable object published by one reference write, so a concurrent reader
    // of the (documented thread-safe) metadata sees both or neither, never a shape without its type.
    private TensorInfo? tensorInfo;
    private OrtValueKind kind;
    private bool? isCpuMemory;

    private OrtValue(nint pointer, MemoryHandle pin, OrtValueKind kind, OrtTensorElementType elementType, long[]? shape)
    {
        handle = new OrtHandle(pointer, OrtApi.ReleaseValue, pin);
        this.kind = kind;
        tensorInfo = shape is null ? null : new TensorInfo(elementType, shape);
    }

    /// <summary>Whether this is a tensor, a sequence, a map, ...</summary>
    /// <exception cref="ObjectDisposedException">The value was disposed.</exception>
    public OrtValueKind Kind
    {
        get
        {
            if (kind == OrtValueKind.Unknown)
            {
                using var lease = Acquire();
                OrtValueKind read;
                OrtApi.Check(OrtApi.GetValueType(lease.Pointer, &read), "reading a value's kind");
                kind = read;
            }

            return kind;
        }
    }

    /// <summary>The element type of the tensor.</summary>
    /// <exception cref="InvalidOperationException">The value is not a tensor.</exception>
    /// <exception cref="ObjectDisposedException">The value was disposed.</exception>
    public OrtTensorElementType ElementType
    {
        get => ReadTensorInfo().ElementType;
    }

    /// <summary>The tensor's shape, outermost dimension first (row-major, as ONNX).</summary>
    /// <exception cref="InvalidOperationException">The value is not a tensor.</exception>
    /// <exception cref="ObjectDisposedException">The value was disposed.</exception>
    public ReadOnlySpan<long> Shape
    {
        get => ReadTensorInfo().Shape;
    }

    /// <summary>The number of elements (the product of <see cref="Shape"/>; 1 for a scalar).</summary>
    /// <exception cref="InvalidOperationException">The value is not a tensor.</exception>
    public long ElementCount => TensorShape.ElementCount(Shape, "tensor");

    /// <summary>Whether <see cref="Dispose"/> has been called.</summary>
    public bool IsDisposed => handle.IsDisposeRequested;

    /// <summary>
    /// Wraps <paramref name="data"/> as a tensor of shape <paramref name="shape"/> without copying. The memory is
    /// pinned until the value is disposed; the caller may read and write it between runs.
    /// </summary>
    /// <typeparam name="T">float, Half, double, sbyte, byte, short, ushort, int, uint, long, ulong or bool.</typeparam>
    /// <param name="data">At least as many elements as the shape needs; only that many leading elements are used.</param>
    /// <param name="shape">The dimensions, each ≥ 0.</param>
    /// <returns>A value the caller disposes.</returns>
    /// <exception cref="TensorContractException"><paramref name="data"/> is smaller than the shape needs, or a dimension is negative.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> has no ONNX element type.</exception>
    /// <exception cref="OnnxRuntimeLoadException">The native library could not be loaded.</exception>
    public static OrtValue CreateTensor<T>(Memory<T> data, ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        var type = OrtTensorElementTypes.Of<T>();
        var count = TensorShape.ElementCount(shape, "CreateTensor");
        if (data.Length < count)
        {
            throw new TensorContractException(
                $"CreateTensor: the buffer holds {data.Length} {OrtTensorElementTypes.Name(type)} elements but shape {TensorShape.Format(shape)} needs {count}.");
        }

        OnnxRuntime.EnsureLoaded();
        var pin = data.Pin();
        var shapeCopy = shape.ToArray();
        try
        {
            nint pointer;
            using var memory = OrtMemoryInfo.Cpu.Acquire();
            fixed (long* dims = shapeCopy)
            {
                OrtApi.Check(
                    OrtApi.CreateTensorWithDataAsOrtValue(memory.Pointer, pin.Pointer, (nuint)(count * Unsafe.SizeOf<T>()), dims, (nuint)shapeCopy.Length, type, &pointer),
                    $"creating a {OrtTensorElementTypes.Name(type)} tensor {TensorShape.Format(shape)} over caller memory");
            }

            return new OrtValue(pointer, pin, OrtValueKind.Tensor, type, shapeCopy);
        }
        catch
        {
            pin.Dispose();
            throw;
        }
    }

    /// <summary>Wraps <paramref name="data"/> as a tensor without copying; see <see cref="CreateTensor{T}(Memory{T}, ReadOnlySpan{long})"/>.</summary>
    /// <typeparam name="T">A supported element type.</typeparam>
    /// <param name="data">The elements, row-major.</param>
    /// <param name="shape">The dimensions, each ≥ 0.</param>
    /// <returns>A value the caller disposes.</returns>
    /// <exception cref="TensorContractException"><paramref name="data"/> is smaller than the shape needs.</exception>
    public static OrtValue CreateTensor<T>(T[] data, ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        return CreateTensor(new Memory<T>(data), shape);
    }

    /// <summary>
    /// Copies <paramref name="data"/> into a new 64-byte aligned native buffer and wraps it as a tensor: the input form
    /// that gives the same bits for the same numbers wherever the caller's copy sits. The value owns the buffer and
    /// frees it when released (disposed, or finalized), so short-lived inputs never occupy the pinned object heap.
    /// </summary>
    /// <typeparam name="T">A supported element type of 1, 2, 4 or 8 bytes.</typeparam>
    /// <param name="data">Exactly the elements the shape needs, row-major.</param>
    /// <param name="shape">The dimensions, each ≥ 0.</param>
    /// <returns>A value the caller disposes.</returns>
    /// <exception cref="TensorContractException"><paramref name="data"/> does not hold exactly the elements the shape needs.</exception>
    public static OrtValue CreateAlignedTensor<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        var count = TensorShape.ElementCount(shape, "CreateAlignedTensor");
        if (data.Length != count)
        {
            throw new TensorContractException(
                $"CreateAlignedTensor: {data.Length} {OrtTensorElementTypes.Name(OrtTensorElementTypes.Of<T>())} elements given but shape {TensorShape.Format(shape)} needs {count}.");
        }

        // Native memory, freed when the value is released: per-call inputs stay off the pinned object heap.
        var buffer = new NativeAlignedBuffer<T>(data.Length);
        data.CopyTo(buffer.GetSpan());
        return WrapAligned(buffer, shape);
    }

    /// <summary>A 64-byte aligned copy of <paramref name="tensor"/> as a value of the same shape; see <see cref="CreateAlignedTensor{T}(ReadOnlySpan{T}, ReadOnlySpan{long})"/>.</summary>
    /// <typeparam name="T">A supported element type of 1, 2, 4 or 8 bytes.</typeparam>
    /// <param name="tensor">The tensor to copy.</param>
    /// <returns>A value the caller disposes.</returns>
    public static OrtValue CreateAlignedTensor<T>(Tensor<T> tensor)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var shape = new long[tensor.Rank];
        for (var i = 0; i < shape.Length; i++)
        {
            shape[i] = tensor.Lengths[i];
        }

        var value = CreateZeroedAlignedTensor<T>(shape);
        tensor.FlattenTo(value.GetTensorData<T>());
        return value;
    }

    /// <summary>
    /// A zeroed tensor in 64-byte aligned native memory that the value owns and frees when released; the caller
    /// writes it through <see cref="GetTensorData{T}"/>. For per-call inputs (no pinned object heap growth).
    /// </summary>
    internal static OrtValue CreateZeroedAlignedTensor<T>(ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        var count = TensorShape.ElementCount(shape, "CreateZeroedAlignedTensor");
        var buffer = new NativeAlignedBuffer<T>(checked((int)count));
        buffer.GetSpan().Clear();
        return WrapAligned(buffer, shape);
    }

    /// <summary>Wraps a filled native buffer as a tensor that owns it; frees the buffer when the value cannot be made.</summary>
    private static OrtValue WrapAligned<T>(NativeAlignedBuffer<T> buffer, ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        try
        {
            return CreateTensor(buffer.Memory, shape);
        }
        catch
        {
            buffer.Free();
            throw;
        }
    }

    /// <summary>A tensor whose memory ONNX Runtime allocates on the CPU (contents undefined until written).</summary>
    /// <typeparam name="T">A supported element type.</typeparam>
    /// <param name="shape">The dimensions, each ≥ 0.</param>
    /// <returns>A value the caller disposes.</returns>
    /// <exception cref="TensorContractException">A dimension is negative.</exception>
    public static OrtValue AllocateTensor<T>(ReadOnlySpan<long> shape)
        where T : unmanaged => AllocateTensor(OrtTensorElementTypes.Of<T>(), shape);

    /// <summary>A tensor of <paramref name="elementType"/> whose memory ONNX Runtime allocates on the CPU.</summary>
    /// <param name="elementType">Any numeric or bool element type.</param>
    /// <param name="shape">The dimensions, each ≥ 0.</param>
    /// <returns>A value the caller disposes.</returns>
    /// <exception cref="TensorContractException">A dimension is negative.</exception>
    /// <exception cref="ArgumentException"><paramref name="elementType"/> is undefined or a string.</exception>
    public static OrtValue AllocateTensor(OrtTensorElementType elementType, ReadOnlySpan<long> shape)
    {
        if (OrtTensorElementTypes.SizeOf(elementType) == 0)
        {
            throw new ArgumentException($"AllocateTensor needs a fixed-size element type; got {elementType}.", nameof(elementType));
        }

        TensorShape.ElementCount(shape, "AllocateTensor");
        OnnxRuntime.EnsureLoaded();
        var shapeCopy = shape.ToArray();
        nint pointer;
        fixed (long* dims = shapeCopy)
        {
            OrtApi.Check(
                OrtApi.CreateTensorAsOrtValue(OrtApi.DefaultAllocator, dims, (nuint)shapeCopy.Length, elementType, &pointer),
                $"allocating a {OrtTensorElementTypes.Name(elementType)} tensor {TensorShape.Format(shape)}");
        }

        return new OrtValue(pointer, default, OrtValueKind.Tensor, elementType, shapeCopy);
    }

    /// <summary>The tensor's elements as a span over its memory (caller memory or ORT's), valid until disposal.</summary>
    /// <typeparam name="T">The .NET type matching <see cref="ElementType"/>.</typeparam>
    /// <returns>A span of <see cref="ElementCount"/> elements.</returns>
    /// <exception cref="TensorContractException"><typeparamref name="T"/> does not match the element type.</exception>
    /// <exception cref="InvalidOperationException">The value is not a CPU tensor.</exception>
    public Span<T> GetTensorData<T>()
        where T : unmanaged
    {
        var info = ReadTensorInfo();
        var requested = OrtTensorElementTypes.TryOf<T>();
        if (requested != info.ElementType)
        {
            throw new TensorContractException(
                $"The tensor holds {OrtTensorElementTypes.Name(info.ElementType)} elements; it cannot be read as {typeof(T).Name} ({OrtTensorElementTypes.Name(requested)}).");
        }

        var count = TensorShape.ElementCount(info.Shape, "tensor");
        if (count > int.MaxValue)
        {
            throw new InvalidOperationException($"The tensor has {count} elements, more than a span can address.");
        }

        using var lease = Acquire();
        if (!IsCpuMemory(lease.Pointer))
        {
            throw new InvalidOperationException("The tensor lives in device memory (e.g. an output bound to CUDA); copy it to the CPU before reading it as a span.");
        }

        void* data;
        OrtApi.Check(OrtApi.GetTensorMutableData(lease.Pointer, &data), "getting a tensor's data");
        return new Span<T>(data, (int)count);
    }

    /// <summary>The tensor as a <see cref="TensorSpan{T}"/> over its memory (no copy), valid until disposal.</summary>
    /// <typeparam name="T">The .NET type matching <see cref="ElementType"/>.</typeparam>
    /// <returns>A span with this value's shape.</returns>
    /// <exception cref="TensorContractException"><typeparamref name="T"/> does not match the element type.</exception>
    public TensorSpan<T> AsTensorSpan<T>()
        where T : unmanaged
    {
        var data = GetTensorData<T>();
        return new TensorSpan<T>(data, LengthsOf(ReadTensorInfo().Shape), default);
    }

    /// <summary>Copies the tensor into a new <see cref="Tensor{T}"/> that outlives this value.</summary>
    /// <typeparam name="T">The .NET type matching <see cref="ElementType"/>.</typeparam>
    /// <returns>A copy with this value's shape.</returns>
    /// <exception cref="TensorContractException"><typeparamref name="T"/> does not match the element type.</exception>
    public Tensor<T> ToTensor<T>()
        where T : unmanaged => Tensor.Create(GetTensorData<T>().ToArray(), LengthsOf(ReadTensorInfo().Shape));

    /// <summary>Copies the tensor's elements into a new array, row-major.</summary>
    /// <typeparam name="T">The .NET type matching <see cref="ElementType"/>.</typeparam>
    /// <returns>A copy of the elements.</returns>
    /// <exception cref="TensorContractException"><typeparamref name="T"/> does not match the element type.</exception>
    public T[] ToArray<T>()
        where T : unmanaged => GetTensorData<T>().ToArray();

    /// <summary>Releases the native value and unpins caller memory. Idempotent.</summary>
    public void Dispose() => handle.Dispose();

    /// <inheritdoc />
    public override string ToString() =>
        IsDisposed ? "OrtValue (disposed)" : Kind == OrtValueKind.Tensor ? $"{OrtTensorElementTypes.Name(ElementType)} {TensorShape.Format(Shape)}" : Kind.ToString();

    /// <summary>Takes ownership of a value ONNX Runtime created (a run output).</summary>
    internal static OrtValue FromOwnedPointer(nint pointer) => new(pointer, default, OrtValueKind.Unknown, OrtTensorElementType.Undefined, null);

    internal OrtHandle.Lease Acquire() => handle.Acquire(nameof(OrtValue));

    /// <summary>The native owner, for objects that must keep this value alive (bindings, values sharing its memory).</summary>
    internal OrtHandle Handle => handle;

    /// <summary>Keeps the native value alive across a native call; pair with <see cref="Release"/>.</summary>
    internal nint AddRef() => handle.AddRef(nameof(OrtValue));

    /// <summary>Ends an <see cref="AddRef"/>.</summary>
    internal void Release() => handle.DangerousRelease();

    private bool IsCpuMemory(nint value)
    {
        if (isCpuMemory is { } known)
        {
            return known;
        }

        nint memoryInfo;
        OrtApi.Check(OrtApi.GetTensorMemoryInfo(value, &memoryInfo), "reading where a tensor's memory lives");
        int deviceType;
        OrtApi.MemoryInfoGetDeviceType(memoryInfo, &deviceType); // OrtMemoryInfoDeviceType: 0 = CPU
        isCpuMemory = deviceType == 0;
        return deviceType == 0;
    }

    private static nint[] LengthsOf(long[] dims)
    {
        var lengths = new nint[dims.Length];
        for (var i = 0; i < dims.Length; i++)
        {
            lengths[i] = checked((nint)dims[i]);
        }

        return lengths;
    }

    private TensorInfo ReadTensorInfo()
    {
        if (Volatile.Read(ref tensorInfo) is { } known)
        {
            return known;
        }

        if (Kind != OrtValueKind.Tensor)
        {
            throw new InvalidOperationException($"The value is a {Kind}, not a tensor.");
        }

        using var lease = Acquire();
        OrtTensorElementType type;
        long* dims;
        nuint rank;
        OrtApi.Check(OrtApi.GetTensorElementTypeAndShapeDataReference(lease.Pointer, &type, &dims, &rank), "reading a tensor's type and shape");
        var copy = new long[(int)rank];
        for (var i = 0; i < copy.Length; i++)
        {
            copy[i] = dims[i];
        }

        // Racing readers build equal objects; whichever is published first is the one every later read sees.
        return Interlocked.CompareExchange(ref tensorInfo, new TensorInfo(type, copy), null) ?? tensorInfo!;
    }

    /// <summary>A tensor's element type and shape, read once and never changed.</summary>
    private sealed record TensorInfo(OrtTensorElementType ElementType, long[] Shape);
}
