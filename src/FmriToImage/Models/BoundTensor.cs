using System.Numerics.Tensors;
using FmriToImage.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Models;

/// <summary>
/// A tensor of a graph's declared element type over a 64-byte aligned buffer on the pinned object heap
/// (<see cref="AlignedPinnedMemory"/>, so a run's result does not depend on where the buffer landed), written from and
/// read into float spans (converting to float16 or integers as the graph needs), so a wrapper can bind it once and
/// reuse it for every run without allocating.
/// </summary>
internal sealed class BoundTensor : IDisposable
{
    private readonly Memory<float> _floats;
    private readonly Memory<Half> _halves;
    private readonly Memory<long> _longs;
    private readonly Memory<int> _ints;

    private BoundTensor(TensorElementType elementType, OrtValue value, Memory<float> floats, Memory<Half> halves, Memory<long> longs, Memory<int> ints)
    {
        ElementType = elementType;
        Value = value;
        _floats = floats;
        _halves = halves;
        _longs = longs;
        _ints = ints;
    }

    public TensorElementType ElementType { get; }

    public OrtValue Value { get; }

    public int Length => ElementType switch
    {
        TensorElementType.Float => _floats.Length,
        TensorElementType.Float16 => _halves.Length,
        TensorElementType.Int64 => _longs.Length,
        _ => _ints.Length,
    };

    /// <summary>Allocates a pinned buffer of <paramref name="elementType"/> for <paramref name="shape"/> and wraps it.</summary>
    /// <exception cref="NotSupportedException">The element type is not float32, float16, int64 or int32.</exception>
    public static BoundTensor Create(TensorElementType elementType, ReadOnlySpan<long> shape)
    {
        var count = checked((int)TensorShape.ElementCount(shape, "BoundTensor"));
        switch (elementType)
        {
            case TensorElementType.Float:
                var f = AlignedPinnedMemory.Allocate<float>(count);
                return new BoundTensor(elementType, AlignedTensor.Over(f, shape), f, default, default, default);
            case TensorElementType.Float16:
                var h = AlignedPinnedMemory.Allocate<Half>(count);
                return new BoundTensor(elementType, AlignedTensor.Over(h, shape), default, h, default, default);
            case TensorElementType.Int64:
                var l = AlignedPinnedMemory.Allocate<long>(count);
                return new BoundTensor(elementType, AlignedTensor.Over(l, shape), default, default, l, default);
            case TensorElementType.Int32:
                var i = AlignedPinnedMemory.Allocate<int>(count);
                return new BoundTensor(elementType, AlignedTensor.Over(i, shape), default, default, default, i);
            default:
                throw new NotSupportedException($"A bound tensor of element type {ElementTypes.Name(elementType)} is not supported (float32, float16, int64, int32 are).");
        }
    }

    /// <summary>Copies <paramref name="source"/> in from element <paramref name="offset"/> on, converting to the element type (integers are rounded).</summary>
    public void Write(ReadOnlySpan<float> source, int offset = 0)
    {
        if (ElementType == TensorElementType.Float)
        {
            source.CopyTo(_floats.Span[offset..]);
        }
        else if (ElementType == TensorElementType.Float16)
        {
            TensorPrimitives.ConvertToHalf(source, _halves.Span[offset..]);
        }
        else if (ElementType == TensorElementType.Int64)
        {
            var destination = _longs.Span[offset..];
            for (var k = 0; k < source.Length; k++)
            {
                destination[k] = (long)Math.Round(source[k]);
            }
        }
        else
        {
            var destination = _ints.Span[offset..];
            for (var k = 0; k < source.Length; k++)
            {
                destination[k] = (int)Math.Round(source[k]);
            }
        }
    }

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    public void Fill(double value)
    {
        if (ElementType == TensorElementType.Float)
        {
            _floats.Span.Fill((float)value);
        }
        else if (ElementType == TensorElementType.Float16)
        {
            _halves.Span.Fill((Half)value);
        }
        else if (ElementType == TensorElementType.Int64)
        {
            _longs.Span.Fill((long)Math.Round(value));
        }
        else
        {
            _ints.Span.Fill((int)Math.Round(value));
        }
    }

    /// <summary>Copies the tensor out as floats.</summary>
    public void Read(Span<float> destination)
    {
        if (ElementType == TensorElementType.Float)
        {
            _floats.Span[..destination.Length].CopyTo(destination);
        }
        else if (ElementType == TensorElementType.Float16)
        {
            TensorPrimitives.ConvertToSingle(_halves.Span[..destination.Length], destination);
        }
        else if (ElementType == TensorElementType.Int64)
        {
            var source = _longs.Span;
            for (var k = 0; k < destination.Length; k++)
            {
                destination[k] = source[k];
            }
        }
        else
        {
            var source = _ints.Span;
            for (var k = 0; k < destination.Length; k++)
            {
                destination[k] = source[k];
            }
        }
    }

    public void Dispose() => Value.Dispose();
}
