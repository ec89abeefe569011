namespace FmriToImage.Data.Hdf5;

/// <summary>
/// Enumerates the elements of an extensible array ("EAHD" header, "EAIB" index block, "EASB" super blocks, "EADB"
/// data blocks, paged data blocks) — the chunk index HDF5 1.10 uses for datasets with one unlimited dimension.
/// </summary>
internal static class H5ExtensibleArray
{
    /// <summary>Receives one element: its index, its raw bytes and their file address.</summary>
    public delegate void ElementVisitor(long index, ReadOnlySpan<byte> element, long address);

    public static void Walk(H5Context ctx, long headerAddress, int expectedClient, ElementVisitor visit)
    {
        var h = ctx.Cursor(ctx.Read(headerAddress, 16 + (6 * ctx.LengthSize) + ctx.OffsetSize, "extensible array header"), headerAddress);
        h.Signature("EAHD"u8, "extensible array header");
        h.Skip(1);
        int client = h.U8();
        int elementSize = h.U8();
        int maxBits = h.U8();
        int indexElements = h.U8();
        int minDataElements = h.U8();
        int minSuperPointers = h.U8();
        int pageBits = h.U8();
        for (int i = 0; i < 5; i++)
        {
            h.Length();
        }

        long realized = h.Length();
        long indexBlock = h.Offset();
        if (client != expectedClient || elementSize < ctx.OffsetSize || maxBits is < 1 or > 64 || minDataElements == 0 ||
            !IsPowerOfTwo(minDataElements) || !IsPowerOfTwo(minSuperPointers) || pageBits > 32 || realized > ctx.FileLength ||
            Log2(minDataElements) > maxBits)
        {
            throw h.Error($"extensible array header: client {client}, element size {elementSize}, {maxBits} max bits, min data block {minDataElements}, min pointers {minSuperPointers}");
        }

        if (indexBlock < 0 || realized == 0)
        {
            return;
        }

        int offsetBytes = (maxBits + 7) / 8;
        int superBlocks = 1 + maxBits - Log2(minDataElements);
        int indexSuperBlocks = 2 * Log2(minSuperPointers);
        int indexDataBlocks = 2 * (minSuperPointers - 1);
        int indexSuperAddresses = Math.Max(0, superBlocks - indexSuperBlocks);
        long pageElements = 1L << pageBits;

        long ibSize = 6 + ctx.OffsetSize + ((long)indexElements * elementSize) + ((long)(indexDataBlocks + indexSuperAddresses) * ctx.OffsetSize) + 4;
        var ib = ctx.Cursor(ctx.Read(indexBlock, ibSize, "extensible array index block"), indexBlock);
        ib.Signature("EAIB"u8, "extensible array index block");
        ib.Skip(2 + ctx.OffsetSize);
        long index = 0;
        for (int i = 0; i < indexElements && index < realized; i++, index++)
        {
            long at = ib.FileOffset;
            visit(index, ib.Take(elementSize), at);
        }

        ib.Position = 6 + ctx.OffsetSize + (indexElements * elementSize);
        var dataBlocks = new long[indexDataBlocks];
        for (int i = 0; i < indexDataBlocks; i++)
        {
            dataBlocks[i] = ib.Offset();
        }

        var superAddresses = new long[indexSuperAddresses];
        for (int i = 0; i < indexSuperAddresses; i++)
        {
            superAddresses[i] = ib.Offset();
        }

        var visited = new HashSet<long>();
        int nextIndexDataBlock = 0;
        for (int s = 0; s < superBlocks && index < realized; s++)
        {
            long blocks = 1L << (s / 2);
            long blockElements = (1L << ((s + 1) / 2)) * minDataElements;
            bool paged = blockElements > pageElements;
            long pages = paged ? blockElements / pageElements : 0;
            if (s < indexSuperBlocks)
            {
                for (long b = 0; b < blocks && index < realized; b++)
                {
                    long address = nextIndexDataBlock < dataBlocks.Length ? dataBlocks[nextIndexDataBlock++] : -1;
                    ReadDataBlock(ctx, address, blockElements, paged, pages, pageElements, null, elementSize, offsetBytes, ref index, realized, visit, visited);
                }

                continue;
            }

            long superAddress = superAddresses[s - indexSuperBlocks];
            if (superAddress < 0)
            {
                index += blocks * blockElements;
                continue;
            }

            if (!visited.Add(superAddress))
            {
                throw ctx.Error(superAddress, "extensible array super block referenced twice (cycle)");
            }

            int bitmapBytes = paged ? (int)((pages + 7) / 8) : 0;
            long sbSize = 6 + ctx.OffsetSize + offsetBytes + (blocks * bitmapBytes) + (blocks * ctx.OffsetSize) + 4;
            var sb = ctx.Cursor(ctx.Read(superAddress, sbSize, "extensible array super block"), superAddress);
            sb.Signature("EASB"u8, "extensible array super block");
            sb.Skip(2 + ctx.OffsetSize + offsetBytes);
            byte[] bitmaps = sb.Take((int)(blocks * bitmapBytes)).ToArray();
            for (long b = 0; b < blocks && index < realized; b++)
            {
                long address = sb.Offset();
                byte[]? bitmap = paged ? bitmaps.AsSpan((int)(b * bitmapBytes), bitmapBytes).ToArray() : null;
                ReadDataBlock(ctx, address, blockElements, paged, pages, pageElements, bitmap, elementSize, offsetBytes, ref index, realized, visit, visited);
            }
        }
    }

    private static void ReadDataBlock(H5Context ctx, long address, long elements, bool paged, long pages, long pageElements, byte[]? bitmap,
        int elementSize, int offsetBytes, ref long index, long realized, ElementVisitor visit, HashSet<long> visited)
    {
        if (address < 0)
        {
            index += elements;
            return;
        }

        if (!visited.Add(address))
        {
            throw ctx.Error(address, "extensible array data block referenced twice (cycle)");
        }

        int prefix = 6 + ctx.OffsetSize + offsetBytes;
        var head = ctx.Cursor(ctx.Read(address, prefix, "extensible array data block"), address);
        head.Signature("EADB"u8, "extensible array data block");
        if (!paged)
        {
            long count = Math.Min(elements, realized - index);
            var c = ctx.Cursor(ctx.Read(address + prefix, count * elementSize, "extensible array data block elements"), address + prefix);
            for (long i = 0; i < count; i++, index++)
            {
                long at = c.FileOffset;
                visit(index, c.Take(elementSize), at);
            }

            index += elements - count;
            return;
        }

        long pageAt = address + prefix + 4;
        for (long p = 0; p < pages; p++)
        {
            bool initialised = bitmap is null || (bitmap[p / 8] & (0x80 >> (int)(p % 8))) != 0;
            long count = Math.Min(pageElements, Math.Max(0, realized - index));
            if (initialised && count > 0)
            {
                var c = ctx.Cursor(ctx.Read(pageAt, count * elementSize, "extensible array data block page"), pageAt);
                for (long i = 0; i < count; i++)
                {
                    long at = c.FileOffset;
                    visit(index + i, c.Take(elementSize), at);
                }
            }

            index += pageElements;
            pageAt += (pageElements * elementSize) + 4;
        }
    }

    private static bool IsPowerOfTwo(int v) => v > 0 && (v & (v - 1)) == 0;

    private static int Log2(int v) => 31 - int.LeadingZeroCount(v);
}
