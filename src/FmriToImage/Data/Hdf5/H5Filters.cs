using System.IO.Compression;

namespace FmriToImage.Data.Hdf5;

/// <summary>One filter of a dataset's pipeline.</summary>
internal sealed record H5Filter(int Id, string Name, uint[] Parameters);

/// <summary>Parses filter pipeline messages and undoes deflate, shuffle and fletcher32 on read.</summary>
internal static class H5Filters
{
    public const int Deflate = 1, Shuffle = 2, Fletcher32 = 3;

    public static H5Filter[] Parse(H5Context ctx, H5Message message)
    {
        var c = ctx.Cursor(message.Data, message.Address);
        int version = c.U8();
        int count = c.U8();
        if (version is not (1 or 2) || count > 32)
        {
            throw c.Error($"filter pipeline version {version} with {count} filters");
        }

        if (version == 1)
        {
            c.Skip(6);
        }

        var filters = new H5Filter[count];
        for (int i = 0; i < count; i++)
        {
            int id = c.U16();
            int nameLength = version == 1 || id >= 256 ? c.U16() : 0;
            c.U16(); // flags
            int values = c.U16();
            string name = nameLength > 0 ? System.Text.Encoding.ASCII.GetString(c.Take(version == 1 ? (nameLength + 7) & ~7 : nameLength)).TrimEnd('\0') : "";
            var parameters = new uint[values];
            for (int v = 0; v < values; v++)
            {
                parameters[v] = c.U32();
            }

            if (version == 1 && values % 2 == 1)
            {
                c.Skip(4);
            }

            if (id is not (Deflate or Shuffle or Fletcher32))
            {
                string known = id switch { 4 => "szip", 5 => "n-bit", 6 => "scale-offset", 32001 => "blosc", 32004 => "lz4", 32008 => "bitshuffle", _ => name };
                throw new Hdf5NotSupportedException(ctx.Path, $"filter {id} ({known})", "h5repack -f NONE in.h5 out.h5 (or -f GZIP=4 to keep compression)");
            }

            filters[i] = new H5Filter(id, name, parameters);
        }

        return filters;
    }

    /// <summary>Undoes the pipeline on one stored chunk; a set bit i of <paramref name="mask"/> means filter i was skipped.</summary>
    public static byte[] Decode(H5Context ctx, H5Filter[] filters, byte[] data, uint mask, int elementSize, int expectedSize, long address)
    {
        for (int i = filters.Length - 1; i >= 0; i--)
        {
            if ((mask & (1u << i)) != 0)
            {
                continue;
            }

            data = filters[i].Id switch
            {
                Deflate => Inflate(ctx, data, expectedSize, address),
                Shuffle => Unshuffle(data, filters[i].Parameters.Length > 0 ? (int)filters[i].Parameters[0] : elementSize),
                _ => CheckFletcher(ctx, data, address),
            };
        }

        if (data.Length != expectedSize)
        {
            throw ctx.Error(address, $"chunk decodes to {data.Length} bytes, expected {expectedSize}");
        }

        return data;
    }

    private static byte[] Inflate(H5Context ctx, byte[] data, int expectedSize, long address)
    {
        // Deflate expands at most ~1032:1: a chunk that claims more is corrupt, and is refused before its output is allocated.
        if (expectedSize > ((long)data.Length * 1032) + 1024)
        {
            throw ctx.Error(address, $"a deflate stream of {data.Length} bytes cannot inflate to the chunk's {expectedSize} bytes");
        }

        var output = new byte[expectedSize];
        try
        {
            using var z = new ZLibStream(new MemoryStream(data), CompressionMode.Decompress);
            int got = z.ReadAtLeast(output, expectedSize, throwOnEndOfStream: false);
            if (got != expectedSize || z.ReadByte() >= 0)
            {
                throw ctx.Error(address, $"deflate chunk inflates to {(got != expectedSize ? got : "more than " + expectedSize)} bytes, expected {expectedSize}");
            }
        }
        catch (InvalidDataException e)
        {
            throw new Hdf5FormatException(ctx.Path, address, "corrupt deflate chunk: " + e.Message, e);
        }

        return output;
    }

    private static byte[] Unshuffle(byte[] data, int size)
    {
        if (size <= 1 || data.Length < size)
        {
            return data;
        }

        int count = data.Length / size;
        var output = new byte[data.Length];
        for (int b = 0; b < size; b++)
        {
            int from = b * count;
            for (int i = 0; i < count; i++)
            {
                output[(i * size) + b] = data[from + i];
            }
        }

        Array.Copy(data, count * size, output, count * size, data.Length - (count * size));
        return output;
    }

    private static byte[] CheckFletcher(H5Context ctx, byte[] data, long address)
    {
        if (data.Length < 4)
        {
            throw ctx.Error(address, "fletcher32 chunk shorter than its checksum");
        }

        int n = data.Length - 4;
        uint stored = BitConverter.ToUInt32(data, n);
        uint computed = ComputeFletcher32(data.AsSpan(0, n));
        uint swapped = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(computed);
        if (stored != computed && stored != swapped)
        {
            throw ctx.Error(address, $"fletcher32 checksum mismatch: stored 0x{stored:x8}, computed 0x{computed:x8}");
        }

        return data[..n];
    }

    /// <summary>HDF5's Fletcher-32 over big-endian 16-bit words (the last odd byte padded with zero).</summary>
    internal static uint ComputeFletcher32(ReadOnlySpan<byte> data)
    {
        uint sum1 = 0, sum2 = 0;
        int words = data.Length / 2, at = 0;
        while (words > 0)
        {
            int block = Math.Min(words, 360);
            words -= block;
            for (int i = 0; i < block; i++, at += 2)
            {
                sum1 += (uint)((data[at] << 8) | data[at + 1]);
                sum2 += sum1;
            }

            sum1 = (sum1 & 0xFFFF) + (sum1 >> 16);
            sum2 = (sum2 & 0xFFFF) + (sum2 >> 16);
        }

        if (data.Length % 2 == 1)
        {
            sum1 += (uint)(data[at] << 8);
            sum2 += sum1;
            sum1 = (sum1 & 0xFFFF) + (sum1 >> 16);
            sum2 = (sum2 & 0xFFFF) + (sum2 >> 16);
        }

        sum1 = (sum1 & 0xFFFF) + (sum1 >> 16);
        sum2 = (sum2 & 0xFFFF) + (sum2 >> 16);
        return (sum2 << 16) | sum1;
    }
}
