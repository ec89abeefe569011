using System.Buffers.Binary;

namespace FmriToImage.Data.Hdf5;

/// <summary>
/// A bounds-checked little-endian reader over a block of file bytes that remembers the block's file address, so
/// every error names the absolute byte offset. Sizes of offsets/lengths come from the superblock.
/// </summary>
internal ref struct H5Cursor
{
    private readonly ReadOnlySpan<byte> _bytes;
    private readonly H5Context _ctx;

    public H5Cursor(ReadOnlySpan<byte> bytes, long address, H5Context ctx)
    {
        _bytes = bytes;
        Address = address;
        _ctx = ctx;
        Position = 0;
    }

    public long Address { get; }

    public int Position { get; set; }

    public readonly int Remaining => _bytes.Length - Position;

    public readonly long FileOffset => Address + Position;

    public readonly int LengthSize => _ctx.LengthSize;

    public byte U8() => Take(1)[0];

    public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

    public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

    public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));

    /// <summary>Reads an unsigned little-endian integer of 1..8 bytes.</summary>
    public ulong UVar(int size)
    {
        if (size is < 0 or > 8)
        {
            throw Error($"integer field of {size} bytes");
        }

        ReadOnlySpan<byte> b = Take(size);
        ulong v = 0;
        for (int i = size - 1; i >= 0; i--)
        {
            v = (v << 8) | b[i];
        }

        return v;
    }

    /// <summary>Reads a file address (size of offsets); returns -1 for the undefined address.</summary>
    public long Offset()
    {
        ulong v = UVar(_ctx.OffsetSize);
        if (v == (_ctx.OffsetSize == 8 ? ulong.MaxValue : (1UL << (8 * _ctx.OffsetSize)) - 1))
        {
            return -1;
        }

        return v > long.MaxValue ? throw Error($"address {v} out of range") : (long)v;
    }

    /// <summary>Reads a length (size of lengths) as a non-negative long.</summary>
    public long Length()
    {
        ulong v = UVar(_ctx.LengthSize);
        return v > long.MaxValue ? throw Error($"length {v} out of range") : (long)v;
    }

    public ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
        {
            throw Error($"structure truncated: {count} bytes needed, {Remaining} left");
        }

        var s = _bytes.Slice(Position, count);
        Position += count;
        return s;
    }

    public void Skip(int count) => Take(count);

    public void Signature(ReadOnlySpan<byte> expected, string what)
    {
        long at = FileOffset;
        if (!Take(expected.Length).SequenceEqual(expected))
        {
            throw new Hdf5FormatException(_ctx.Path, at, $"missing the {System.Text.Encoding.ASCII.GetString(expected)} signature of a {what}");
        }
    }

    public readonly Hdf5FormatException Error(string message) => new(_ctx.Path, FileOffset, message);
}
