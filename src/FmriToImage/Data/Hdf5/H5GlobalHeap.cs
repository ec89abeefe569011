namespace FmriToImage.Data.Hdf5;

/// <summary>Looks up an object in a global heap collection ("GCOL"), where variable-length data (strings) live.</summary>
internal static class H5GlobalHeap
{
    public static byte[] ReadObject(H5Context ctx, long collection, uint index)
    {
        var head = ctx.Cursor(ctx.Read(collection, 8 + ctx.LengthSize, "global heap collection"), collection);
        head.Signature("GCOL"u8, "global heap collection");
        head.Skip(4);
        long size = head.Length();
        var c = ctx.Cursor(ctx.Read(collection, size, "global heap collection"), collection);
        c.Skip(8 + ctx.LengthSize);
        while (c.Remaining >= 8 + ctx.LengthSize)
        {
            int id = c.U16();
            c.Skip(6);
            long objectSize = c.Length();
            if (id == 0)
            {
                break;
            }

            if (objectSize > c.Remaining)
            {
                throw c.Error($"global heap object {id} of {objectSize} bytes overruns its collection");
            }

            if (id == index)
            {
                return c.Take((int)objectSize).ToArray();
            }

            c.Skip((int)((objectSize + 7) & ~7L) > c.Remaining ? c.Remaining : (int)((objectSize + 7) & ~7L));
        }

        throw ctx.Error(collection, $"global heap collection has no object {index}");
    }
}
