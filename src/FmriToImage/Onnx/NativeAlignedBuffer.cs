using System.Buffers;
using System.Runtime.InteropServices;

namespace FmriToImage.Onnx;

/// <summary>
/// A 64-byte aligned buffer in native memory (<see cref="NativeMemory.AlignedAlloc"/>) for a short-lived tensor: unlike
/// a pinned managed array it leaves the pinned object heap alone (which is collected only in gen 2), so per-call inputs
/// do not pile up there over a long run. The buffer is freed when its one pin is released — by the
/// ONNX Runtime value that wraps it, when the value is released — or by <see cref="Free"/> if it never got wrapped.
/// </summary>
/// <typeparam name="T">An unmanaged element type.</typeparam>
/// <remarks>Only for buffers pinned exactly once (by <see cref="AlignedTensor"/>); its <see cref="Memory{T}"/> must not escape.</remarks>
internal sealed unsafe class NativeAlignedBuffer<T> : MemoryManager<T>
    where T : unmanaged
{
    private readonly int _length;
    private nint _address;

    public NativeAlignedBuffer(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _length = length;
        _address = (nint)NativeMemory.AlignedAlloc((nuint)Math.Max(1L, (long)length * sizeof(T)), (nuint)AlignedPinnedMemory.Alignment);
    }

    public override Span<T> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_address == 0, this);
        return new Span<T>((void*)_address, _length);
    }

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_address == 0, this);
        return new MemoryHandle((T*)_address + elementIndex, default, this);
    }

    /// <summary>The wrapping value was released: nothing points into the buffer any more.</summary>
    public override void Unpin() => Free();

    /// <summary>Frees the memory. Idempotent.</summary>
    public void Free()
    {
        var freed = Interlocked.Exchange(ref _address, 0);
        if (freed != 0)
        {
            NativeMemory.AlignedFree((void*)freed);
        }
    }

    protected override void Dispose(bool disposing) => Free();
}
