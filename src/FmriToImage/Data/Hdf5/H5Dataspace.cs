namespace FmriToImage.Data.Hdf5;

/// <summary>Parses a dataspace message (versions 1 and 2) into current dimensions; scalar = rank 0, null = no elements.</summary>
internal static class H5Dataspace
{
    public static long[] Parse(ref H5Cursor c, out bool isNull) => Parse(ref c, out isNull, out _);

    public static long[] Parse(ref H5Cursor c, out bool isNull, out int unlimitedDimension)
    {
        byte version = c.U8();
        int rank = c.U8();
        byte flags = c.U8();
        isNull = false;
        if (version == 1)
        {
            c.Skip(5);
        }
        else if (version == 2)
        {
            isNull = c.U8() == 2;
        }
        else
        {
            throw c.Error($"dataspace message version {version}, expected 1 or 2");
        }

        if (rank > 32)
        {
            throw c.Error($"dataspace rank {rank} exceeds 32");
        }

        var dims = new long[rank];
        for (int i = 0; i < rank; i++)
        {
            dims[i] = c.Length();
        }

        unlimitedDimension = -1;
        if ((flags & 1) != 0)
        {
            for (int i = 0; i < rank; i++)
            {
                if (c.UVar(c.LengthSize) == (c.LengthSize == 8 ? ulong.MaxValue : (1UL << (8 * c.LengthSize)) - 1) && unlimitedDimension < 0)
                {
                    unlimitedDimension = i;
                }
            }
        }

        return dims;
    }
}
