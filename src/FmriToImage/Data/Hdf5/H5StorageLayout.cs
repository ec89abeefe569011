namespace FmriToImage.Data.Hdf5;

/// <summary>A parsed data layout message (versions 3 and 4).</summary>
internal sealed class H5StorageLayout
{
    public Hdf5Layout Kind { get; private init; }

    public byte[] CompactData { get; private init; } = [];

    public long Address { get; private init; } = -1;

    public long Size { get; private init; }

    /// <summary>Chunk shape (dataset rank, without the element-size dimension).</summary>
    public long[] ChunkShape { get; private init; } = [];

    public Hdf5ChunkIndexType IndexType { get; private init; }

    public long SingleChunkFilteredSize { get; private init; } = -1;

    public uint SingleChunkFilterMask { get; private init; }

    public bool UnfilteredPartialEdgeChunks { get; private init; }

    public int FixedArrayPageBits { get; private init; }

    public static H5StorageLayout Parse(H5Context ctx, H5Message message, int rank)
    {
        var c = ctx.Cursor(message.Data, message.Address);
        int version = c.U8();
        if (version is 1 or 2)
        {
            throw new Hdf5NotSupportedException(ctx.Path, $"data layout message version {version} (HDF5 1.4 era)", "h5repack in.h5 out.h5");
        }

        if (version is not (3 or 4))
        {
            throw c.Error($"data layout message version {version}, expected 3 or 4");
        }

        int cls = c.U8();
        switch (cls)
        {
            case 0:
                int size = c.U16();
                return new H5StorageLayout { Kind = Hdf5Layout.Compact, CompactData = c.Take(size).ToArray(), Size = size };
            case 1:
                return new H5StorageLayout { Kind = Hdf5Layout.Contiguous, Address = c.Offset(), Size = c.Length() };
            case 2:
                return version == 3 ? ParseChunkedV3(ref c, rank) : ParseChunkedV4(ctx, ref c, rank);
            case 3:
                throw new Hdf5NotSupportedException(ctx.Path, "virtual dataset layout", "h5repack -l CONTI in.h5 out.h5");
            default:
                throw c.Error($"unknown layout class {cls}");
        }
    }

    private static H5StorageLayout ParseChunkedV3(ref H5Cursor c, int rank)
    {
        int dims = c.U8();
        long address = c.Offset();
        if (dims != rank + 1)
        {
            throw c.Error($"chunk dimensionality {dims}, expected dataset rank + 1 = {rank + 1}");
        }

        var shape = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            shape[i] = c.U32();
        }

        c.U32();
        return new H5StorageLayout { Kind = Hdf5Layout.Chunked, Address = address, ChunkShape = Checked(ref c, shape), IndexType = Hdf5ChunkIndexType.BTreeV1 };
    }

    private static H5StorageLayout ParseChunkedV4(H5Context ctx, ref H5Cursor c, int rank)
    {
        byte flags = c.U8();
        int dims = c.U8();
        int encoded = c.U8();
        if (dims != rank + 1 || encoded is < 1 or > 8)
        {
            throw c.Error($"chunk dimensionality {dims} (expected {rank + 1}) with {encoded}-byte sizes");
        }

        var shape = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            shape[i] = (long)c.UVar(encoded);
        }

        c.UVar(encoded);
        int index = c.U8();
        long filteredSize = -1;
        uint mask = 0;
        int pageBits = 0;
        Hdf5ChunkIndexType type;
        switch (index)
        {
            case 1:
                type = Hdf5ChunkIndexType.SingleChunk;
                if ((flags & 2) != 0)
                {
                    filteredSize = c.Length();
                    mask = c.U32();
                }

                break;
            case 2:
                type = Hdf5ChunkIndexType.Implicit;
                break;
            case 3:
                type = Hdf5ChunkIndexType.FixedArray;
                pageBits = c.U8();
                break;
            case 4:
                type = Hdf5ChunkIndexType.ExtensibleArray;
                c.Skip(5);
                break;
            case 5:
                type = Hdf5ChunkIndexType.BTreeV2;
                c.Skip(6);
                break;
            default:
                throw c.Error($"unknown chunk index type {index}");
        }

        return new H5StorageLayout
        {
            Kind = Hdf5Layout.Chunked,
            ChunkShape = Checked(ref c, shape),
            IndexType = type,
            Address = c.Offset(),
            SingleChunkFilteredSize = filteredSize,
            SingleChunkFilterMask = mask,
            UnfilteredPartialEdgeChunks = (flags & 1) != 0,
            FixedArrayPageBits = pageBits,
        };
    }

    private static long[] Checked(ref H5Cursor c, long[] shape)
    {
        foreach (long d in shape)
        {
            if (d is < 1 or > uint.MaxValue)
            {
                throw c.Error($"chunk dimension {d} is impossible");
            }
        }

        return shape;
    }
}
