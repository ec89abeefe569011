namespace FmriToImage.Data.Hdf5;

/// <summary>
/// A fractal heap ("FRHP"), where new-style groups keep dense link messages and objects keep dense attribute
/// messages. Resolves managed and tiny heap IDs; huge objects and filtered heaps raise
/// <see cref="Hdf5NotSupportedException"/>.
/// </summary>
internal sealed class H5FractalHeap
{
    private readonly H5Context _ctx;
    private readonly long _address;
    private readonly int _tableWidth;
    private readonly long _startBlockSize;
    private readonly long _maxDirectBlockSize;
    private readonly int _maxHeapSizeBits;
    private readonly long _rootAddress;
    private readonly int _rootRows;
    private readonly int _offsetBytes;
    private readonly int _lengthBytes;
    private readonly bool _checksummedDirectBlocks;
    private readonly int _maxDirectRows;

    public H5FractalHeap(H5Context ctx, long address)
    {
        _ctx = ctx;
        _address = address;
        var c = ctx.Cursor(ctx.ReadUpTo(address, 256, "fractal heap header"), address);
        c.Signature("FRHP"u8, "fractal heap header");
        c.Skip(1);
        c.U16(); // heap ID length
        int filterLength = c.U16();
        byte flags = c.U8();
        long maxManaged = c.U32();
        c.Length();
        c.Offset();
        c.Length();
        c.Offset();
        c.Length();
        c.Length();
        c.Length();
        c.Length();
        c.Length();
        c.Length();
        c.Length();
        c.Length();
        _tableWidth = c.U16();
        _startBlockSize = c.Length();
        _maxDirectBlockSize = c.Length();
        _maxHeapSizeBits = c.U16();
        c.U16();
        _rootAddress = c.Offset();
        _rootRows = c.U16();
        if (filterLength != 0)
        {
            throw new Hdf5NotSupportedException(ctx.Path, "filtered fractal heap (compressed dense link/attribute storage)", "h5repack in.h5 out.h5");
        }

        if (_tableWidth is 0 or > 65536 || !IsPowerOfTwo(_startBlockSize) || !IsPowerOfTwo(_maxDirectBlockSize) ||
            _maxDirectBlockSize < _startBlockSize || _maxHeapSizeBits is < 1 or > 64 || maxManaged == 0)
        {
            throw c.Error("fractal heap header has impossible doubling-table parameters");
        }

        _checksummedDirectBlocks = (flags & 0x02) != 0;
        _offsetBytes = (_maxHeapSizeBits + 7) / 8;
        _lengthBytes = Math.Min(((int)Math.Log2(_maxDirectBlockSize) + 7) / 8, ((int)Math.Log2(maxManaged) / 8) + 1);
        _maxDirectRows = (int)(Math.Log2(_maxDirectBlockSize) - Math.Log2(_startBlockSize)) + 2;
    }

    /// <summary>
    /// Walks dense storage described by a link-info or attribute-info message: a fractal heap plus a v2 B-tree name
    /// index whose records hold heap IDs at <paramref name="idOffset"/>. Calls <paramref name="visit"/> with each stored
    /// message (link or attribute). Does nothing when the storage is compact (undefined addresses).
    /// </summary>
    /// <remarks>The optional "max creation index" field is 8 bytes in link-info, 2 in attribute-info messages.</remarks>
    public static void WalkDenseStorage(H5Context ctx, H5Message info, int creationIndexSize, int idOffset, int idLength, Action<byte[], long> visit)
    {
        var c = ctx.Cursor(info.Data, info.Address);
        c.U8();
        byte flags = c.U8();
        if ((flags & 1) != 0)
        {
            c.Skip(creationIndexSize);
        }

        long heapAddress = c.Offset();
        long nameIndex = c.Offset();
        if (heapAddress < 0 || nameIndex < 0)
        {
            return;
        }

        var heap = new H5FractalHeap(ctx, heapAddress);
        H5V2BTree.Walk(ctx, nameIndex, (record, at) =>
        {
            int length = Math.Min(idLength, record.Length - idOffset);
            visit(heap.Read(record.AsSpan(idOffset, Math.Max(0, length)), at + idOffset), at);
        });
    }

    /// <summary>Returns the bytes of the object with heap ID <paramref name="id"/>.</summary>
    public byte[] Read(ReadOnlySpan<byte> id, long idAddress)
    {
        if (id.Length == 0)
        {
            throw _ctx.Error(idAddress, "empty fractal heap ID");
        }

        int kind = (id[0] >> 4) & 3;
        if (kind == 2)
        {
            // Tiny object: length-1 in the low 4 bits, data follows.
            int length = (id[0] & 0x0F) + 1;
            return length <= id.Length - 1 ? id.Slice(1, length).ToArray() : throw _ctx.Error(idAddress, "tiny heap object longer than its ID");
        }

        if (kind != 0)
        {
            throw new Hdf5NotSupportedException(_ctx.Path, "huge fractal heap object (very long link or attribute)", "h5repack in.h5 out.h5");
        }

        var c = _ctx.Cursor(id.ToArray(), idAddress);
        c.Skip(1);
        long offset = (long)c.UVar(_offsetBytes);
        long size = (long)c.UVar(_lengthBytes);
        if (_rootAddress < 0)
        {
            throw _ctx.Error(_address, "fractal heap has no root block");
        }

        return _rootRows == 0
            ? FromDirect(_rootAddress, 0, _startBlockSize, offset, size)
            : FromIndirect(_rootAddress, _rootRows, 0, offset, size, 0);
    }

    private byte[] FromDirect(long block, long blockOffset, long blockSize, long offset, long size)
    {
        long within = offset - blockOffset;
        int prefix = 5 + _ctx.OffsetSize + _offsetBytes + (_checksummedDirectBlocks ? 4 : 0);
        if (within < prefix || size < 0 || within + size > blockSize)
        {
            throw _ctx.Error(block, $"heap object at offset {offset} (+{size}) does not fit its {blockSize}-byte direct block");
        }

        return _ctx.Read(block + within, size, "fractal heap object");
    }

    private long BlockSize(int row) => row == 0 ? _startBlockSize : _startBlockSize << (row - 1);

    private byte[] FromIndirect(long block, int rows, long blockOffset, long offset, long size, int depth)
    {
        if (depth > 16 || rows > 64)
        {
            throw _ctx.Error(block, "fractal heap indirect blocks nest too deeply (cyclic heap?)");
        }

        int directRows = Math.Min(rows, _maxDirectRows);
        int indirectRows = rows - directRows;
        long entries = ((long)directRows + indirectRows) * _tableWidth;
        int prefix = 5 + _ctx.OffsetSize + _offsetBytes;
        var c = _ctx.Cursor(_ctx.Read(block, prefix + (entries * _ctx.OffsetSize), "fractal heap indirect block"), block);
        c.Signature("FHIB"u8, "fractal heap indirect block");
        c.Skip(prefix - 4);
        long position = blockOffset;
        for (int row = 0; row < rows; row++)
        {
            long rowBlock = BlockSize(row);
            for (int col = 0; col < _tableWidth; col++)
            {
                long child = c.Offset();
                if (offset >= position && offset < position + rowBlock)
                {
                    if (child < 0)
                    {
                        throw _ctx.Error(block, $"heap offset {offset} falls in an unallocated block");
                    }

                    if (row < _maxDirectRows)
                    {
                        return FromDirect(child, position, rowBlock, offset, size);
                    }

                    int childRows = (int)(Math.Log2(rowBlock) - Math.Log2(_startBlockSize * _tableWidth)) + 1;
                    return FromIndirect(child, childRows, position, offset, size, depth + 1);
                }

                position += rowBlock;
            }
        }

        throw _ctx.Error(block, $"heap offset {offset} lies beyond the heap");
    }

    private static bool IsPowerOfTwo(long v) => v > 0 && (v & (v - 1)) == 0;
}
