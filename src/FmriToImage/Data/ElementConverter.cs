using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace FmriToImage.Data;

/// <summary>
/// Converts raw little- or big-endian element bytes to <see cref="float"/> or <see cref="double"/>. One converter for
/// every reader, so that a datatype is decoded the same way whichever file format holds it.
/// </summary>
internal static class ElementConverter
{
    /// <summary>The size in bytes of one element of <paramref name="kind"/>.</summary>
    public static int SizeOf(ElementKind kind) => kind switch
    {
        ElementKind.Bool or ElementKind.Int8 or ElementKind.UInt8 => 1,
        ElementKind.Int16 or ElementKind.UInt16 or ElementKind.Float16 => 2,
        ElementKind.Int32 or ElementKind.UInt32 or ElementKind.Float32 => 4,
        _ => 8,
    };

    /// <summary>Reverses the byte order of every element of <paramref name="data"/> in place.</summary>
    public static void ReverseEndianness(Span<byte> data, int elementSize)
    {
        switch (elementSize)
        {
            case 1:
                return;
            case 2:
                var s = MemoryMarshal.Cast<byte, ushort>(data);
                BinaryPrimitives.ReverseEndianness(s, s);
                return;
            case 4:
                var i = MemoryMarshal.Cast<byte, uint>(data);
                BinaryPrimitives.ReverseEndianness(i, i);
                return;
            case 8:
                var l = MemoryMarshal.Cast<byte, ulong>(data);
                BinaryPrimitives.ReverseEndianness(l, l);
                return;
            default:
                throw new ArgumentOutOfRangeException(nameof(elementSize), elementSize, "element size must be 1, 2, 4 or 8");
        }
    }

    /// <summary>
    /// Converts <paramref name="source"/> (elements of <paramref name="kind"/> in the given byte order) to floats.
    /// <paramref name="destination"/> must hold <c>source.Length / SizeOf(kind)</c> elements.
    /// </summary>
    public static void ToSingle(ReadOnlySpan<byte> source, ElementKind kind, bool bigEndian, Span<float> destination)
    {
        int size = SizeOf(kind);
        int count = source.Length / size;
        if (destination.Length < count)
        {
            throw new ArgumentException($"destination holds {destination.Length} elements, {count} needed", nameof(destination));
        }

        if (bigEndian && size > 1 && BitConverter.IsLittleEndian)
        {
            // Swap through a small stack buffer so the caller's source stays untouched and nothing is allocated.
            Span<byte> buffer = stackalloc byte[4096];
            int perBlock = buffer.Length / size;
            for (int start = 0; start < count; start += perBlock)
            {
                int n = Math.Min(perBlock, count - start);
                var block = buffer[..(n * size)];
                source.Slice(start * size, n * size).CopyTo(block);
                ReverseEndianness(block, size);
                ToSingleNative(block, kind, destination.Slice(start, n));
            }

            return;
        }

        ToSingleNative(source[..(count * size)], kind, destination[..count]);
    }

    private static void ToSingleNative(ReadOnlySpan<byte> s, ElementKind kind, Span<float> d)
    {
        switch (kind)
        {
            case ElementKind.Bool:
                for (int i = 0; i < d.Length; i++)
                {
                    d[i] = s[i] != 0 ? 1f : 0f;
                }

                break;
            case ElementKind.Int8: TensorPrimitives.ConvertChecked(MemoryMarshal.Cast<byte, sbyte>(s), d); break;
            case ElementKind.UInt8: TensorPrimitives.ConvertChecked(s, d); break;
            case ElementKind.Int16: TensorPrimitives.ConvertChecked(MemoryMarshal.Cast<byte, short>(s), d); break;
            case ElementKind.UInt16: TensorPrimitives.ConvertChecked(MemoryMarshal.Cast<byte, ushort>(s), d); break;
            case ElementKind.Int32: TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<byte, int>(s), d); break;
            case ElementKind.UInt32: TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<byte, uint>(s), d); break;
            case ElementKind.Int64: TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<byte, long>(s), d); break;
            case ElementKind.UInt64: TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<byte, ulong>(s), d); break;
            case ElementKind.Float16: TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<byte, Half>(s), d); break;
            case ElementKind.Float32: MemoryMarshal.Cast<byte, float>(s).CopyTo(d); break;
            case ElementKind.Float64: TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<byte, double>(s), d); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
    }
}
