namespace FmriToImage.Data.Hdf5;

/// <summary>Where one stored chunk is: file address, stored (possibly filtered) size and the filter-skip mask.</summary>
internal readonly record struct H5ChunkRef(long Address, long Size, uint FilterMask);

/// <summary>
/// Maps a chunk's linear position in the chunk grid (row-major over ⌈dim/chunk⌉) to where it is stored. Single-chunk
/// and implicit indices are computed; the v1 B-tree, fixed array and v2 B-tree are read once, on first use, into a
/// dictionary, so each later lookup is O(1) and no index node is read twice.
/// </summary>
internal sealed class H5ChunkIndex
{
    private readonly H5Context _ctx;
    private readonly H5StorageLayout _layout;
    private readonly long[] _grid;
    private readonly long _chunkBytes;
    private readonly bool _filtered;
    private readonly string _datasetPath;
    private readonly Lazy<Dictionary<long, H5ChunkRef>> _map;

    public H5ChunkIndex(H5Context ctx, H5StorageLayout layout, long[] shape, int elementSize, bool filtered, string datasetPath, int unlimitedDimension)
    {
        _ctx = ctx;
        _layout = layout;
        _filtered = filtered;
        _datasetPath = datasetPath;
        _grid = new long[shape.Length];
        long bytes = elementSize;
        for (int d = 0; d < shape.Length; d++)
        {
            _grid[d] = (shape[d] + layout.ChunkShape[d] - 1) / layout.ChunkShape[d];
            bytes = checked(bytes * layout.ChunkShape[d]);
        }

        _chunkBytes = bytes;
        if (layout.IndexType == Hdf5ChunkIndexType.ExtensibleArray && unlimitedDimension > 0)
        {
            // HDF5 moves the unlimited dimension to the front ("swizzles") before linearising; only dimension 0 is handled.
            throw new Hdf5NotSupportedException(ctx.Path, $"extensible-array chunk index of {datasetPath} with unlimited dimension {unlimitedDimension} (not the first)",
                $"h5repack -l {datasetPath}:CONTI in.h5 out.h5");
        }

        _map = new Lazy<Dictionary<long, H5ChunkRef>>(Build, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public IReadOnlyList<long> Grid => _grid;

    public long ChunkBytes => _chunkBytes;

    public bool TryGet(long linear, out H5ChunkRef chunk)
    {
        switch (_layout.IndexType)
        {
            case Hdf5ChunkIndexType.SingleChunk:
                chunk = new H5ChunkRef(_layout.Address, _layout.SingleChunkFilteredSize >= 0 ? _layout.SingleChunkFilteredSize : _chunkBytes, _layout.SingleChunkFilterMask);
                return linear == 0 && _layout.Address >= 0;
            case Hdf5ChunkIndexType.Implicit:
                chunk = new H5ChunkRef(_layout.Address + (linear * _chunkBytes), _chunkBytes, 0);
                return _layout.Address >= 0;
            default:
                return _map.Value.TryGetValue(linear, out chunk);
        }
    }

    private long Linear(ReadOnlySpan<long> scaled)
    {
        long linear = 0;
        for (int d = 0; d < _grid.Length; d++)
        {
            if (scaled[d] < 0 || scaled[d] >= _grid[d])
            {
                return -1;
            }

            linear = (linear * _grid[d]) + scaled[d];
        }

        return linear;
    }

    private Dictionary<long, H5ChunkRef> Build()
    {
        var map = new Dictionary<long, H5ChunkRef>();
        if (_layout.Address < 0)
        {
            return map;
        }

        switch (_layout.IndexType)
        {
            case Hdf5ChunkIndexType.BTreeV1:
                BuildFromV1BTree(map);
                break;
            case Hdf5ChunkIndexType.FixedArray:
                BuildFromFixedArray(map);
                break;
            case Hdf5ChunkIndexType.BTreeV2:
                BuildFromV2BTree(map);
                break;
            case Hdf5ChunkIndexType.ExtensibleArray:
                BuildFromExtensibleArray(map);
                break;
        }

        return map;
    }

    private void Add(Dictionary<long, H5ChunkRef> map, long linear, H5ChunkRef chunk, long at)
    {
        if (linear < 0)
        {
            return; // a chunk beyond the current extent (dataset shrunk): never read
        }

        if (chunk.Size < 0 || chunk.Size > int.MaxValue)
        {
            throw _ctx.Error(at, $"chunk size {chunk.Size} is impossible");
        }

        if (map.Count > _ctx.FileLength)
        {
            throw _ctx.Error(at, "chunk index lists more chunks than the file has bytes");
        }

        map[linear] = chunk;
    }

    /// <summary>Reads an index entry: the chunk address, then for filtered datasets its stored size and filter mask.</summary>
    private H5ChunkRef ReadEntry(ref H5Cursor c, int sizeBytes)
    {
        long address = c.Offset();
        if (!_filtered)
        {
            return new H5ChunkRef(address, _chunkBytes, 0);
        }

        long size = (long)c.UVar(sizeBytes);
        return new H5ChunkRef(address, size, c.U32());
    }

    private void BuildFromV1BTree(Dictionary<long, H5ChunkRef> map)
    {
        int rank = _grid.Length;
        var scaled = new long[rank];
        H5V1BTree.Walk(_ctx, _layout.Address, 1, 8 + (8 * (rank + 1)), (key, child, at) =>
        {
            var c = new H5Cursor(key, at, _ctx);
            uint size = c.U32();
            uint mask = c.U32();
            for (int d = 0; d < rank; d++)
            {
                long offset = (long)c.U64();
                if (offset % _layout.ChunkShape[d] != 0)
                {
                    throw c.Error($"chunk offset {offset} is not a multiple of the chunk size {_layout.ChunkShape[d]}");
                }

                scaled[d] = offset / _layout.ChunkShape[d];
            }

            Add(map, Linear(scaled), new H5ChunkRef(child, size, mask), at);
        });
    }

    private void BuildFromFixedArray(Dictionary<long, H5ChunkRef> map)
    {
        long headerAt = _layout.Address;
        var h = _ctx.Cursor(_ctx.Read(headerAt, 8 + _ctx.LengthSize + _ctx.OffsetSize + 4, "fixed array header"), headerAt);
        h.Signature("FAHD"u8, "fixed array header");
        h.Skip(1);
        int client = h.U8();
        int entrySize = h.U8();
        int pageBits = h.U8();
        long entries = h.Length();
        long blockAt = h.Offset();
        if (client != (_filtered ? 1 : 0) || entrySize < _ctx.OffsetSize || pageBits > 32 || entries > _ctx.FileLength)
        {
            throw h.Error($"fixed array header: client {client}, entry size {entrySize}, page bits {pageBits}, {entries} entries");
        }

        if (blockAt < 0)
        {
            return;
        }

        long pageEntries = 1L << pageBits;
        long pages = entries > pageEntries ? (entries + pageEntries - 1) / pageEntries : 0;
        int bitmapBytes = (int)((pages + 7) / 8);
        int prefix = 10 + _ctx.OffsetSize + bitmapBytes;
        var p = _ctx.Cursor(_ctx.Read(blockAt, prefix - 4, "fixed array data block"), blockAt);
        p.Signature("FADB"u8, "fixed array data block");
        p.Skip(2 + _ctx.OffsetSize);
        byte[] bitmap = p.Take(bitmapBytes).ToArray();
        if (pages == 0)
        {
            ReadFixedArrayEntries(map, blockAt + prefix - 4, entries, 0, entrySize);
            return;
        }

        long pageAt = blockAt + prefix;
        for (long page = 0; page < pages; page++)
        {
            long first = page * pageEntries;
            long count = Math.Min(pageEntries, entries - first);
            if ((bitmap[page / 8] & (0x80 >> (int)(page % 8))) != 0)
            {
                ReadFixedArrayEntries(map, pageAt, count, first, entrySize);
            }

            pageAt += (pageEntries * entrySize) + 4;
        }
    }

    private void ReadFixedArrayEntries(Dictionary<long, H5ChunkRef> map, long at, long count, long first, int entrySize)
    {
        var c = _ctx.Cursor(_ctx.Read(at, count * entrySize, "fixed array entries"), at);
        for (long i = 0; i < count; i++)
        {
            long entryAt = c.FileOffset;
            H5ChunkRef entry = ReadEntry(ref c, entrySize - _ctx.OffsetSize - 4);
            if (entry.Address >= 0)
            {
                Add(map, first + i, entry, entryAt);
            }
        }
    }

    private void BuildFromExtensibleArray(Dictionary<long, H5ChunkRef> map)
    {
        H5ExtensibleArray.Walk(_ctx, _layout.Address, _filtered ? 1 : 0, (index, element, at) =>
        {
            var c = new H5Cursor(element, at, _ctx);
            H5ChunkRef entry = ReadEntry(ref c, element.Length - _ctx.OffsetSize - 4);
            if (entry.Address >= 0)
            {
                Add(map, LinearFromArrayIndex(index), entry, at);
            }
        });
    }

    /// <summary>The extensible array lists chunks row-major over the grid with the unlimited dimension 0 slowest: the same linear index, if within the current extent.</summary>
    private long LinearFromArrayIndex(long index)
    {
        long total = 1;
        foreach (long g in _grid)
        {
            total *= g;
        }

        return index >= 0 && index < total ? index : -1;
    }

    private void BuildFromV2BTree(Dictionary<long, H5ChunkRef> map)
    {
        int rank = _grid.Length;
        var scaled = new long[rank];
        H5V2BTree.Walk(_ctx, _layout.Address, (record, at) =>
        {
            var c = _ctx.Cursor(record, at);
            H5ChunkRef entry = ReadEntry(ref c, record.Length - _ctx.OffsetSize - 4 - (8 * rank));
            for (int d = 0; d < rank; d++)
            {
                scaled[d] = (long)c.U64();
            }

            if (entry.Address >= 0)
            {
                Add(map, Linear(scaled), entry, at);
            }
        });
    }

    /// <summary>The dataset path, for messages.</summary>
    public override string ToString() => $"{_datasetPath} chunk index ({_layout.IndexType})";
}
