using System.Text;

namespace FmriToImage.Data.Hdf5;

/// <summary>A link from a group: a hard link to an object header, or a soft link to a path.</summary>
internal sealed record H5Link(string Name, long Address, string? SoftTarget, bool IsExternal);

/// <summary>Lists a group's links: old-style symbol tables, new-style compact link messages and dense (fractal heap) storage.</summary>
internal static class H5Links
{
    public static List<H5Link> Read(H5Context ctx, List<H5Message> messages)
    {
        var links = new List<H5Link>();
        foreach (var m in messages)
        {
            switch (m.Type)
            {
                case H5ObjectHeader.SymbolTable:
                    ReadSymbolTable(ctx, m, links);
                    break;
                case H5ObjectHeader.Link:
                    links.Add(ParseLink(ctx, m.Data, m.Address));
                    break;
                case H5ObjectHeader.LinkInfo:
                    ReadDense(ctx, m, links);
                    break;
            }
        }

        return links;
    }

    public static bool IsGroup(List<H5Message> messages) =>
        messages.Exists(m => m.Type is H5ObjectHeader.SymbolTable or H5ObjectHeader.LinkInfo or H5ObjectHeader.Link);

    private static void ReadSymbolTable(H5Context ctx, H5Message m, List<H5Link> links)
    {
        var c = ctx.Cursor(m.Data, m.Address);
        long tree = c.Offset();
        long heapAddress = c.Offset();
        var heap = new H5LocalHeap(ctx, heapAddress);
        var nodes = new HashSet<long>();
        H5V1BTree.Walk(ctx, tree, 0, ctx.LengthSize, (_, node, _) =>
        {
            if (!nodes.Add(node))
            {
                throw ctx.Error(node, "symbol table node listed twice (cyclic group B-tree)");
            }

            int entrySize = (2 * ctx.OffsetSize) + 24;
            var h = ctx.Cursor(ctx.Read(node, 8, "symbol table node"), node);
            h.Signature("SNOD"u8, "symbol table node");
            h.Skip(2);
            int count = h.U16();
            var s = ctx.Cursor(ctx.Read(node + 8, (long)count * entrySize, "symbol table entries"), node + 8);
            for (int i = 0; i < count; i++)
            {
                long nameOffset = s.Offset();
                long header = s.Offset();
                uint cacheType = s.U32();
                s.Skip(4);
                ReadOnlySpan<byte> scratch = s.Take(16);
                string name = heap.String(nameOffset);
                string? soft = null;
                if (cacheType == 2)
                {
                    soft = heap.String(BitConverter.ToUInt32(scratch));
                }

                links.Add(new H5Link(name, header, soft, false));
            }
        });
    }

    // Link name index records (type 5): 4-byte name hash, then the heap ID.
    private static void ReadDense(H5Context ctx, H5Message m, List<H5Link> links) =>
        H5FractalHeap.WalkDenseStorage(ctx, m, creationIndexSize: 8, idOffset: 4, idLength: int.MaxValue, (link, at) => links.Add(ParseLink(ctx, link, at)));

    public static H5Link ParseLink(H5Context ctx, byte[] data, long address)
    {
        var c = ctx.Cursor(data, address);
        int version = c.U8();
        if (version != 1)
        {
            throw c.Error($"link message version {version}, expected 1");
        }

        byte flags = c.U8();
        int type = (flags & 0x08) != 0 ? c.U8() : 0;
        if ((flags & 0x04) != 0)
        {
            c.U64();
        }

        if ((flags & 0x10) != 0)
        {
            c.U8();
        }

        long nameLength = (long)c.UVar(1 << (flags & 3));
        if (nameLength is < 1 or > 65535)
        {
            throw c.Error($"link name of {nameLength} bytes");
        }

        string name = Encoding.UTF8.GetString(c.Take((int)nameLength));
        return type switch
        {
            0 => new H5Link(name, c.Offset(), null, false),
            1 => new H5Link(name, -1, Encoding.UTF8.GetString(c.Take(c.U16())), false),
            _ => new H5Link(name, -1, null, true),
        };
    }
}
