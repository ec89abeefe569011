using System.Numerics.Tensors;
using FmriToImage.Onnx;

namespace FmriToImage.Models;

/// <summary>
/// A tensor of a graph's declared element type over a buffer on the pinned object heap, written from and read into
/// float spans (converting to float16 or integers as the graph needs), so a wrapper can bind it once and reuse it
/// for every run without allocating.
/// </summary>
internal sealed class BoundTensor : IDisposable
{
    private readonly float[]? floats;
    private readonly Half[]? halves;
    private readonly long[]? longs;
    private readonly int[]? ints;

    private BoundTensor(OrtTensorElementType elementType, OrtValue value, float[]? floats, Half[]? halves, long[]? longs, int[]? ints)
    {
        ElementType = elementType;
        Value = value;
        this.floats = floats;
        this.halves = halves;
        this.longs = longs;
        this.ints = ints;
    }

    public OrtTensorElementType ElementType { get; }

    public OrtValue Value { get; }

    public int Length => floats?.Length ?? halves?.Length ?? longs?.Length ?? ints!.Length;

    /// <summary>Allocates a pinned buffer of <paramref name="elementType"/> for <paramref name="shape"/> and wraps it.</summary>
    /// <exception cref="NotSupportedException">The element type is not float32, float16, int64 or int32.</exception>
    public static BoundTensor Create(OrtTensorElementType elementType, ReadOnlySpan<long> shape)
    {
        var count = checked((int)TensorShape.ElementCount(shape, "BoundTensor"));
        switch (elementType)
        {
            case OrtTensorElementType.Float:
                var f = GC.AllocateArray<float>(count, pinned: true);
                return new BoundTensor(elementType, OrtValue.CreateTensor(f, shape), f, null, null, null);
            case OrtTensorElementType.Float16:
                var h = GC.AllocateArray<Half>(count, pinned: true);
                return new BoundTensor(elementType, OrtValue.CreateTensor(h, shape), null, h, null, null);
            case OrtTensorElementType.Int64:
                var l = GC.AllocateArray<long>(count, pinned: true);
                return new BoundTensor(elementType, OrtValue.CreateTensor(l, shape), null, null, l, null);
            case OrtTensorElementType.Int32:
                var i = GC.AllocateArray<int>(count, pinned: true);
                return new BoundTensor(elementType, OrtValue.CreateTensor(i, shape), null, null, null, i);
            default:
                throw new NotSupportedException($"A bound tensor of element type {OrtTensorElementTypes.Name(elementType)} is not supported (float32, float16, int64, int32 are).");
        }
    }

    /// <summary>Copies <paramref name="source"/> in, converting to the element type (integers are rounded).</summary>
    public void Write(ReadOnlySpan<float> source)
    {
        if (floats is not null)
        {
            source.CopyTo(floats);
        }
        else if (halves is not null)
        {
            TensorPrimitives.ConvertToHalf(source, halves);
        }
        else
        {
            for (var k = 0; k < source.Length; k++)
            {
                var rounded = Math.Round(source[k]);
                if (longs is not null)
                {
                    longs[k] = (long)rounded;
                }
                else
                {
                    ints![k] = (int)rounded;
                }
            }
        }
    }

    /// <summary>Sets every element to <paramref name="value"/>.</summary>
    public void Fill(double value)
    {
        if (floats is not null)
        {
            floats.AsSpan().Fill((float)value);
        }
        else if (halves is not null)
        {
            halves.AsSpan().Fill((Half)value);
        }
        else if (longs is not null)
        {
            longs.AsSpan().Fill((long)Math.Round(value));
        }
        else
        {
            ints!.AsSpan().Fill((int)Math.Round(value));
        }
    }

    /// <summary>Copies the tensor out as floats.</summary>
    public void Read(Span<float> destination)
    {
        if (floats is not null)
        {
            floats.AsSpan(0, destination.Length).CopyTo(destination);
        }
        else if (halves is not null)
        {
            TensorPrimitives.ConvertToSingle(halves.AsSpan(0, destination.Length), destination);
        }
        else if (longs is not null)
        {
            for (var k = 0; k < destination.Length; k++)
            {
                destination[k] = longs[k];
            }
        }
        else
        {
            for (var k = 0; k < destination.Length; k++)
            {
                destination[k] = ints![k];
            }
        }
    }

    public void Dispose() => Value.Dispose();
}
