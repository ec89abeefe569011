using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FmriToImage.Onnx;

/// <summary>
/// Memory of <typeparamref name="TFrom"/> seen as elements of <typeparamref name="TTo"/> of the same size, without a
/// copy: .NET's <see cref="Half"/> handed to ONNX Runtime as its own <see cref="Microsoft.ML.OnnxRuntime.Float16"/>
/// (the same IEEE binary16 bits), which is the float16 element type its tensor factory accepts.
/// </summary>
internal sealed class ReinterpretedMemory<TFrom, TTo> : MemoryManager<TTo>
    where TFrom : unmanaged
    where TTo : unmanaged
{
    private readonly Memory<TFrom> _inner;

    public ReinterpretedMemory(Memory<TFrom> inner)
    {
        if (Unsafe.SizeOf<TFrom>() != Unsafe.SizeOf<TTo>())
        {
            throw new NotSupportedException($"{typeof(TFrom).Name} ({Unsafe.SizeOf<TFrom>()} bytes) cannot be seen as {typeof(TTo).Name} ({Unsafe.SizeOf<TTo>()} bytes).");
        }

        _inner = inner;
    }

    public override Span<TTo> GetSpan() => MemoryMarshal.Cast<TFrom, TTo>(_inner.Span);

    public override MemoryHandle Pin(int elementIndex = 0) => _inner[elementIndex..].Pin();

    /// <summary>Nothing to do: the pin returned by <see cref="Pin"/> is the inner memory's own and is released by it.</summary>
    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
    }
}
