namespace FmriToImage.Data.Hdf5;

/// <summary>One header message: its type, flags, payload and the file address of the payload.</summary>
internal sealed record H5Message(int Type, byte Flags, byte[] Data, long Address);

/// <summary>
/// Parses an object header (version 1, or version 2 with the "OHDR" signature) and follows its continuation
/// messages, guarding against cycles and runaway message counts.
/// </summary>
internal static class H5ObjectHeader
{
    public const int Dataspace = 0x01, LinkInfo = 0x02, Datatype = 0x03, FillValue = 0x05, Link = 0x06, Layout = 0x08,
        FilterPipeline = 0x0B, Attribute = 0x0C, Continuation = 0x10, SymbolTable = 0x11, AttributeInfo = 0x15;

    private const int MaxMessages = 1 << 16;

    public static List<H5Message> Read(H5Context ctx, long address)
    {
        var head = ctx.ReadUpTo(address, 16, "object header");
        var messages = new List<H5Message>();
        var visited = new HashSet<long> { address };
        if (head.Length >= 4 && head[0] == (byte)'O' && head[1] == (byte)'H' && head[2] == (byte)'D' && head[3] == (byte)'R')
        {
            ReadV2(ctx, address, messages, visited);
        }
        else
        {
            ReadV1(ctx, address, messages, visited);
        }

        return messages;
    }

    private static void ReadV1(H5Context ctx, long address, List<H5Message> messages, HashSet<long> visited)
    {
        var c = ctx.Cursor(ctx.Read(address, 16, "object header"), address);
        byte version = c.U8();
        if (version != 1)
        {
            throw c.Error($"object header version {version}, expected 1 (or an OHDR signature for version 2)");
        }

        c.Skip(1);
        int count = c.U16();
        c.Skip(4);
        long size = c.U32();
        var blocks = new Queue<(long Address, long Length)>();
        blocks.Enqueue((address + 16, size));
        while (blocks.Count > 0 && messages.Count < count)
        {
            var (at, length) = blocks.Dequeue();
            var b = ctx.Cursor(ctx.Read(at, length, "object header messages"), at);
            while (b.Remaining >= 8 && messages.Count < count)
            {
                int type = b.U16();
                int msgSize = b.U16();
                byte flags = b.U8();
                b.Skip(3);
                long dataAt = b.FileOffset;
                byte[] data = b.Take(msgSize).ToArray();
                Add(ctx, messages, new H5Message(type, flags, data, dataAt), blocks, visited);
            }
        }
    }

    private static void ReadV2(H5Context ctx, long address, List<H5Message> messages, HashSet<long> visited)
    {
        var c = ctx.Cursor(ctx.ReadUpTo(address, 64, "object header"), address);
        c.Signature("OHDR"u8, "version-2 object header");
        byte version = c.U8();
        if (version != 2)
        {
            throw c.Error($"object header version {version}, expected 2");
        }

        byte flags = c.U8();
        if ((flags & 0x20) != 0)
        {
            c.Skip(16);
        }

        if ((flags & 0x10) != 0)
        {
            c.Skip(4);
        }

        long chunkSize = (long)c.UVar(1 << (flags & 3));
        bool trackOrder = (flags & 0x04) != 0;
        var blocks = new Queue<(long Address, long Length)>();
        long firstAt = address + c.Position;
        blocks.Enqueue((firstAt, chunkSize + 4));
        while (blocks.Count > 0)
        {
            var (at, length) = blocks.Dequeue();
            var b = ctx.Cursor(ctx.Read(at, length, "object header chunk"), at);
            if (at != firstAt)
            {
                b.Signature("OCHK"u8, "object header continuation chunk");
            }

            int end = (int)length - 4; // every v2 chunk ends with a checksum
            while (end - b.Position >= (trackOrder ? 6 : 4))
            {
                int type = b.U8();
                int msgSize = b.U16();
                byte msgFlags = b.U8();
                if (trackOrder)
                {
                    b.Skip(2);
                }

                if (msgSize > end - b.Position)
                {
                    throw b.Error($"header message of {msgSize} bytes overruns its chunk");
                }

                long dataAt = b.FileOffset;
                byte[] data = b.Take(msgSize).ToArray();
                Add(ctx, messages, new H5Message(type, msgFlags, data, dataAt), blocks, visited);
            }
        }
    }

    private static void Add(H5Context ctx, List<H5Message> messages, H5Message message, Queue<(long, long)> blocks, HashSet<long> visited)
    {
        if (messages.Count >= MaxMessages)
        {
            throw ctx.Error(message.Address, $"object header has more than {MaxMessages} messages");
        }

        if (message.Type == Continuation)
        {
            var c = ctx.Cursor(message.Data, message.Address);
            long at = c.Offset();
            long length = c.Length();
            if (!visited.Add(at))
            {
                throw ctx.Error(message.Address, $"object header continuation points back to address {at} (cycle)");
            }

            ctx.CheckRange(at, length, "object header continuation");
            blocks.Enqueue((at, length));
            return;
        }

        if ((message.Flags & 0x02) != 0 && message.Type is Datatype or Dataspace or FillValue or FilterPipeline or Attribute)
        {
            // Shared messages live in another object header or the shared-message heap.
            throw new Hdf5NotSupportedException(ctx.Path, $"shared header message (type 0x{message.Type:x2}, e.g. a committed datatype)", "h5repack in.h5 out.h5");
        }

        messages.Add(message);
    }
}
