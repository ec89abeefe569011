using System.Buffers.Binary;
using System.IO.Compression;
using FmriToImage.Imaging.Png;
using FsCheck.Xunit;

namespace FmriToImage.Tests.Imaging;

/// <summary>Corrupt PNGs must fail with <see cref="PngFormatException"/> naming the chunk and the byte offset.</summary>
public sealed class PngMalformedInputTests
{
    private static readonly byte[] Valid = File.ReadAllBytes(ImagingFixtures.Png("ct2_d8_plain_13x11.png"));

    [Fact]
    public void Bad_signature()
    {
        byte[] bytes = (byte[])Valid.Clone();
        bytes[1] = (byte)'X';
        var e = Assert.Throws<PngFormatException>(() => PngDecoder.Decode(bytes, "sig.png"));
        Assert.Null(e.Chunk);
        Assert.Equal(0, e.Offset);
        Assert.Contains("sig.png", e.Message);
    }

    [Fact]
    public void Bad_crc_names_the_chunk_and_its_offset()
    {
        var chunks = Chunks(Valid);
        var idat = chunks.First(c => c.Type == "IDAT");
        byte[] bytes = (byte[])Valid.Clone();
        bytes[idat.Offset + 8] ^= 0x01; // first data byte of the first IDAT
        var e = Assert.Throws<PngFormatException>(() => PngDecoder.Decode(bytes));
        Assert.Equal("IDAT", e.Chunk);
        Assert.Equal(idat.Offset, e.Offset);
        Assert.Contains("CRC", e.Message);
        Assert.Contains($"offset {idat.Offset}", e.Message);
    }

    [Fact]
    public void File_cut_inside_an_idat_chunk()
    {
        var idat = Chunks(Valid).Last(c => c.Type == "IDAT");
        byte[] bytes = Valid[..(idat.Offset + 10)];
        var e = Assert.Throws<PngFormatException>(() => PngDecoder.Decode(bytes));
        Assert.Equal("IDAT", e.Chunk);
        Assert.Equal(idat.Offset, e.Offset);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Idat_stream_shorter_than_the_image()
    {
        // Valid chunks and CRCs, but the zlib stream holds only half the rows.
        var chunks = Chunks(Valid);
        byte[] raw = new byte[5 * (1 + (13 * 3))];
        var rebuilt = Rebuild(chunks.Where(c => c.Type != "IDAT" || c == chunks.First(x => x.Type == "IDAT"))
            .Select(c => c.Type == "IDAT" ? (c.Type, Zlib(raw)) : (c.Type, c.Data)));
        var e = Assert.Throws<PngFormatException>(() => PngDecoder.Decode(rebuilt));
        Assert.Equal("IDAT", e.Chunk);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Absurd_dimensions_are_rejected_from_the_header()
    {
        var chunks = Chunks(Valid);
        byte[] ihdr = (byte[])chunks[0].Data.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, 1_000_000);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), 1_000_000);
        byte[] bytes = Rebuild(chunks.Select(c => c.Type == "IHDR" ? (c.Type, ihdr) : (c.Type, c.Data)));
        var e = Assert.Throws<PngFormatException>(() => PngDecoder.Decode(bytes));
        Assert.Equal("IHDR", e.Chunk);
        Assert.Equal(8, e.Offset);
        Assert.Contains("1000000×1000000", e.Message);
    }

    [Fact]
    public void Dimensions_the_compressed_data_cannot_fill_are_rejected_before_allocating()
    {
        var chunks = Chunks(Valid);
        byte[] ihdr = (byte[])chunks[0].Data.Clone();
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, 8000);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), 8000);
        byte[] bytes = Rebuild(chunks.Select(c => c.Type == "IHDR" ? (c.Type, ihdr) : (c.Type, c.Data)));
        var e = Assert.Throws<PngFormatException>(() => PngDecoder.Decode(bytes));
        Assert.Equal("IDAT", e.Chunk);
        Assert.Contains("cannot hold", e.Message);
    }

    [Fact]
    public void Unknown_critical_chunk()
    {
        var chunks = Chunks(Valid);
        var list = chunks.Select(c => (c.Type, c.Data)).ToList();
        list.Insert(1, ("ABCD", new byte[] { 1, 2, 3 }));
        byte[] bytes = Rebuild(list);
        var e = Assert.Throws<PngFormatException>(() => PngDecoder.Decode(bytes));
        Assert.Equal("ABCD", e.Chunk);
        Assert.Equal(8 + 12 + 13, e.Offset);
        Assert.Contains("critical", e.Message);
    }

    [Fact]
    public void Unknown_ancillary_chunk_is_skipped()
    {
        var list = Chunks(Valid).Select(c => (c.Type, c.Data)).ToList();
        list.Insert(1, ("abCd", new byte[] { 1, 2, 3 }));
        Assert.Equal(PngDecoder.Decode(Valid).Samples, PngDecoder.Decode(Rebuild(list)).Samples);
    }

    [Fact]
    public void Invalid_filter_type()
    {
        var chunks = Chunks(Valid);
        byte[] raw = new byte[11 * (1 + (13 * 3))];
        raw[(1 + (13 * 3)) * 2] = 7;
        var rebuilt = Rebuild(chunks.Where(c => c.Type != "IDAT" || c == chunks.First(x => x.Type == "IDAT"))
            .Select(c => c.Type == "IDAT" ? (c.Type, Zlib(raw)) : (c.Type, c.Data)));
        var e = Assert.Throws<PngFormatException>(() => PngDecoder.Decode(rebuilt));
        Assert.Contains("filter type 7", e.Message);
    }

    [Fact]
    public void Missing_iend()
    {
        var chunks = Chunks(Valid);
        var e = Assert.Throws<PngFormatException>(() => PngDecoder.Decode(Valid[..chunks[^1].Offset]));
        Assert.Equal("IEND", e.Chunk);
    }

    [Fact]
    public void Invalid_bit_depth_for_colour_type()
    {
        var chunks = Chunks(Valid);
        byte[] ihdr = (byte[])chunks[0].Data.Clone();
        ihdr[8] = 4; // RGB at 4 bits is not allowed
        var e = Assert.Throws<PngFormatException>(
            () => PngDecoder.Decode(Rebuild(chunks.Select(c => c.Type == "IHDR" ? (c.Type, ihdr) : (c.Type, c.Data)))));
        Assert.Contains("bit depth 4", e.Message);
    }

    [Fact]
    public void Empty_and_tiny_inputs()
    {
        Assert.Throws<PngFormatException>(() => PngDecoder.Decode(ReadOnlySpan<byte>.Empty));
        Assert.Throws<PngFormatException>(() => PngDecoder.Decode(Valid.AsSpan(0, 8)));
        Assert.Throws<PngFormatException>(() => PngDecoder.Decode(Valid.AsSpan(0, 20)));
    }

    /// <summary>
    /// Random byte flips, insertions, deletions and truncations of fixture files: the decoder either succeeds or throws
    /// PngFormatException, never anything else. The CRC is recomputed in half the cases so that mutations reach the
    /// header and zlib parsing behind the CRC check.
    /// </summary>
    [Property(MaxTest = 3000)]
    public void Mutated_fixtures_raise_only_typed_exceptions(int seed)
    {
        string[] files = ["ct2_d8_plain_13x11.png", "ct3_d4_adam7_13x11.png", "ct0_d16_adam7_13x11.png", "pil_P.png", "ct6_d8_adam7_9x9.png"];
        var random = new Random(seed);
        byte[] bytes = File.ReadAllBytes(ImagingFixtures.Png(files[random.Next(files.Length)]));
        bool fixCrc = random.Next(2) == 0;
        int mutations = 1 + random.Next(4);
        var list = new List<byte>(bytes);
        for (int m = 0; m < mutations && list.Count > 0; m++)
        {
            int at = random.Next(list.Count);
            switch (random.Next(4))
            {
                case 0: list[at] = (byte)random.Next(256); break;
                case 1: list[at] ^= (byte)(1 << random.Next(8)); break;
                case 2: list.Insert(at, (byte)random.Next(256)); break;
                default: list.RemoveRange(at, Math.Min(list.Count - at, 1 + random.Next(16))); break;
            }
        }

        byte[] mutated = list.ToArray();
        if (fixCrc)
        {
            mutated = RecomputeCrcs(mutated);
        }

        try
        {
            PngDecoder.Decode(mutated, "mutated.png", maxPixels: 1 << 20).ToRgbImage();
        }
        catch (PngFormatException)
        {
        }
    }

    internal static List<(string Type, byte[] Data, int Offset)> Chunks(byte[] png)
    {
        var chunks = new List<(string, byte[], int)>();
        for (int pos = 8; pos + 12 <= png.Length;)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            string type = System.Text.Encoding.ASCII.GetString(png, pos + 4, 4);
            chunks.Add((type, png.AsSpan(pos + 8, length).ToArray(), pos));
            pos += 12 + length;
        }

        return chunks;
    }

    internal static byte[] Rebuild(IEnumerable<(string Type, byte[] Data)> chunks)
    {
        using var memory = new MemoryStream();
        memory.Write(Valid.AsSpan(0, 8));
        foreach (var (type, data) in chunks)
        {
            WriteChunk(memory, type, data);
        }

        return memory.ToArray();
    }

    private static void WriteChunk(Stream stream, string type, byte[] data)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, header.AsSpan(4));
        stream.Write(header);
        stream.Write(data);
        var crcInput = new byte[4 + data.Length];
        header.AsSpan(4).CopyTo(crcInput);
        data.CopyTo(crcInput, 4);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32(crcInput));
        stream.Write(crc);
    }

    private static byte[] RecomputeCrcs(byte[] png)
    {
        byte[] copy = (byte[])png.Clone();
        for (int pos = 8; pos + 12 <= copy.Length;)
        {
            long length = BinaryPrimitives.ReadUInt32BigEndian(copy.AsSpan(pos));
            if (length > copy.Length - pos - 12)
            {
                break;
            }

            uint crc = Crc32(copy.AsSpan(pos + 4, (int)length + 4).ToArray());
            BinaryPrimitives.WriteUInt32BigEndian(copy.AsSpan(pos + 8 + (int)length), crc);
            pos += 12 + (int)length;
        }

        return copy;
    }

    // Bitwise CRC-32 (polynomial 0xEDB88320), independent of the library's table-driven one.
    private static uint Crc32(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }

    private static byte[] Zlib(byte[] raw)
    {
        using var memory = new MemoryStream();
        using (var z = new ZLibStream(memory, CompressionLevel.Fastest, leaveOpen: true))
        {
            z.Write(raw);
        }

        return memory.ToArray();
    }
}
