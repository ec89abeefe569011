using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FmriToImage.Onnx;

/// <summary>
/// Buffers for ONNX Runtime inputs and outputs that start on a 64-byte boundary: a slice of an array on the pinned
/// object heap (which never moves), so the garbage collector owns it and no native memory can leak.
/// </summary>
/// <remarks>
/// Why: some ONNX Runtime CPU kernels (measured: <c>ReduceSum</c> and <c>ReduceMean</c> reading a graph input) start
/// their vector loops at the first aligned element, so the same numbers at another address are summed in another
/// order and differ in the last bits. ONNX Runtime allocates its own tensors 64-byte aligned; giving every input
/// the same alignment makes a run's result depend only on the numbers (docs/onnx-runtime.md). 64 bytes is one
/// AVX-512 vector and one cache line on current x64 and Arm64 CPUs. Thread-safe.
/// </remarks>
internal static class AlignedPinnedMemory
{
    /// <summary>The alignment of every buffer, in bytes.</summary>
    public const int Alignment = 64;

    /// <summary>A zeroed buffer of <paramref name="length"/> elements whose first element is 64-byte aligned.</summary>
    /// <typeparam name="T">An unmanaged element type of 1, 2, 4 or 8 bytes.</typeparam>
    /// <param name="length">Elements, ≥ 0.</param>
    /// <returns>Memory over a pinned array; it stays at its address for its whole life.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="length"/> is negative or too large for an array.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is larger than 8 bytes or its size does not divide 64, or the runtime placed the array's data off the element-size grid (so no element starts on a 64-byte boundary).</exception>
    public static unsafe Memory<T> Allocate<T>(int length)
        where T : unmanaged
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        var size = sizeof(T);
        if (size > 8 || Alignment % size != 0)
        {
            throw new NotSupportedException($"Aligned buffers hold elements of 1, 2, 4 or 8 bytes; {typeof(T).Name} has {size}.");
        }

        var slack = Alignment / size;
        if (length > Array.MaxLength - slack)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, $"An aligned buffer holds at most {Array.MaxLength - slack} elements of {typeof(T).Name}.");
        }

        var array = GC.AllocateArray<T>(length + slack, pinned: true);
        var address = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        var misalignment = (int)(address % Alignment);

        // Array data is at least 8-byte aligned on every 64-bit runtime, so the gap is a whole number of elements; a
        // runtime that broke that would leave the buffer misaligned, which is refused rather than used silently.
        var offset = misalignment == 0 ? 0 : (Alignment - misalignment) / size;
        var start = address + (nuint)(offset * size);
        if (start % Alignment != 0)
        {
            throw new NotSupportedException($"An aligned buffer of {typeof(T).Name} could not be placed on a {Alignment}-byte boundary: the pinned array's data starts at 0x{address:x}, which is not a multiple of the element size {size}.");
        }

        return new Memory<T>(array, offset, length);
    }

    /// <summary>A 64-byte aligned copy of <paramref name="source"/>.</summary>
    /// <typeparam name="T">An unmanaged element type of 1, 2, 4 or 8 bytes.</typeparam>
    /// <param name="source">The elements to copy.</param>
    /// <returns>The copy.</returns>
    public static Memory<T> CopyOf<T>(ReadOnlySpan<T> source)
        where T : unmanaged
    {
        var memory = Allocate<T>(source.Length);
        source.CopyTo(memory.Span);
        return memory;
    }

    /// <summary>Whether <paramref name="memory"/> starts on a 64-byte boundary (it must be pinned or native to stay so).</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="memory">The memory to test.</param>
    /// <returns>True when aligned.</returns>
    public static unsafe bool IsAligned<T>(Memory<T> memory)
        where T : unmanaged
    {
        using var pin = memory.Pin();
        return (nuint)pin.Pointer % Alignment == 0;
    }
}
