namespace FmriToImage.Data.Hdf5;

/// <summary>
/// Enumerates every record of a version-2 B-tree ("BTHD" header, "BTIN" internal and "BTLF" leaf nodes), as used
/// for dense link/attribute name indices and for the v2-B-tree chunk index.
/// </summary>
internal static class H5V2BTree
{
    private const int Prefix = 10; // signature, version, type, checksum

    /// <summary>Calls <paramref name="record"/> with each record's bytes and file address; returns the tree's record type.</summary>
    public static int Walk(H5Context ctx, long header, Action<byte[], long> record)
    {
        var c = ctx.Cursor(ctx.Read(header, 16 + (2 * ctx.OffsetSize) + ctx.LengthSize, "v2 B-tree header"), header);
        c.Signature("BTHD"u8, "v2 B-tree header");
        c.Skip(1);
        int type = c.U8();
        long nodeSize = c.U32();
        int recordSize = c.U16();
        int depth = c.U16();
        c.Skip(2);
        long root = c.Offset();
        int rootRecords = c.U16();
        long totalRecords = c.Length();
        if (nodeSize is < Prefix + 1 or > 1 << 24 || recordSize == 0 || recordSize > nodeSize || depth > 32)
        {
            throw c.Error($"v2 B-tree header has node size {nodeSize}, record size {recordSize}, depth {depth}");
        }

        if (root < 0 || totalRecords == 0)
        {
            return type;
        }

        // Sizes of the per-child record counts, as the format derives them from the node size (H5B2 node info).
        var maxRecords = new long[depth + 1];
        var cumulative = new long[depth + 1];
        var cumulativeSize = new int[depth + 1];
        maxRecords[0] = (nodeSize - Prefix) / recordSize;
        cumulative[0] = maxRecords[0];
        int countSize = EncodedSize(maxRecords[0]);
        for (int d = 1; d <= depth; d++)
        {
            int pointerSize = ctx.OffsetSize + countSize + (d > 1 ? cumulativeSize[d - 1] : 0);
            maxRecords[d] = (nodeSize - Prefix - pointerSize) / (recordSize + pointerSize);
            cumulative[d] = ((maxRecords[d] + 1) * cumulative[d - 1]) + maxRecords[d];
            cumulativeSize[d] = EncodedSize(cumulative[d]);
        }

        var walker = new Walker(ctx, type, nodeSize, recordSize, countSize, cumulativeSize, record, totalRecords);
        walker.Visit(root, rootRecords, depth);
        return type;
    }

    private static int EncodedSize(long value)
    {
        int bits = value <= 0 ? 0 : 63 - (int)long.LeadingZeroCount(value);
        return (bits / 8) + 1;
    }

    private sealed class Walker(H5Context ctx, int type, long nodeSize, int recordSize, int countSize, int[] cumulativeSize, Action<byte[], long> record, long totalRecords)
    {
        private readonly HashSet<long> _visited = [];
        private long _seen;

        public void Visit(long address, int records, int depth)
        {
            if (!_visited.Add(address))
            {
                throw ctx.Error(address, "v2 B-tree node visited twice (cyclic tree)");
            }

            var c = ctx.Cursor(ctx.Read(address, nodeSize, "v2 B-tree node"), address);
            c.Signature(depth == 0 ? "BTLF"u8 : "BTIN"u8, depth == 0 ? "v2 B-tree leaf" : "v2 B-tree internal node");
            c.Skip(1);
            if (c.U8() != type)
            {
                throw c.Error("v2 B-tree node type differs from its header");
            }

            var recs = new (byte[] Bytes, long At)[records];
            for (int i = 0; i < records; i++)
            {
                long at = c.FileOffset;
                recs[i] = (c.Take(recordSize).ToArray(), at);
                if (++_seen > totalRecords)
                {
                    throw c.Error($"v2 B-tree holds more records than the {totalRecords} its header announces");
                }
            }

            if (depth > 0)
            {
                for (int i = 0; i <= records; i++)
                {
                    long child = c.Offset();
                    int childRecords = (int)c.UVar(countSize);
                    if (depth > 1)
                    {
                        c.UVar(cumulativeSize[depth - 1]);
                    }

                    Visit(child, childRecords, depth - 1);
                }
            }

            foreach (var (bytes, at) in recs)
            {
                record(bytes, at);
            }
        }
    }
}
