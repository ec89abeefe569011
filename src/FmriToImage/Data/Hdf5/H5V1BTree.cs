namespace FmriToImage.Data.Hdf5;

/// <summary>
/// Walks a version-1 B-tree ("TREE"): node type 0 indexes symbol-table nodes of an old-style group, node type 1
/// indexes the chunks of a dataset. Visited nodes are remembered so a cyclic tree is reported, not followed forever.
/// </summary>
internal static class H5V1BTree
{
    /// <summary>Receives one leaf entry: the key before the child, the child address and the key's file address.</summary>
    public delegate void LeafVisitor(ReadOnlySpan<byte> key, long child, long keyAddress);

    /// <summary>Calls <paramref name="leaf"/> for each child of every leaf node with the key that precedes it.</summary>
    /// <remarks>Key size: size of lengths for groups, 8 + 8·(rank+1) for chunks.</remarks>
    public static void Walk(H5Context ctx, long root, int nodeType, int keySize, LeafVisitor leaf)
    {
        var visited = new HashSet<long>();
        Visit(ctx, root, nodeType, keySize, leaf, visited, -1);
    }

    private static void Visit(H5Context ctx, long address, int nodeType, int keySize, LeafVisitor leaf, HashSet<long> visited, int expectedLevel)
    {
        if (!visited.Add(address))
        {
            throw ctx.Error(address, "v1 B-tree node visited twice (cyclic tree)");
        }

        int headerSize = 8 + (2 * ctx.OffsetSize);
        var h = ctx.Cursor(ctx.Read(address, headerSize, "v1 B-tree node"), address);
        h.Signature("TREE"u8, "v1 B-tree node");
        int type = h.U8();
        int level = h.U8();
        int entries = h.U16();
        if (type != nodeType)
        {
            throw h.Error($"v1 B-tree node type {type}, expected {nodeType}");
        }

        if (expectedLevel >= 0 && level != expectedLevel)
        {
            throw h.Error($"v1 B-tree node level {level}, expected {expectedLevel}");
        }

        long bodyLength = ((long)entries * (keySize + ctx.OffsetSize)) + keySize;
        var c = ctx.Cursor(ctx.Read(address + headerSize, bodyLength, "v1 B-tree node entries"), address + headerSize);
        for (int i = 0; i < entries; i++)
        {
            long keyAt = c.FileOffset;
            ReadOnlySpan<byte> key = c.Take(keySize);
            long child = c.Offset();
            if (level == 0)
            {
                leaf(key, child, keyAt);
            }
            else
            {
                Visit(ctx, child, nodeType, keySize, leaf, visited, level - 1);
            }
        }
    }
}
