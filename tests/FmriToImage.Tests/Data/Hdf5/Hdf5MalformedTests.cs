using System.Buffers.Binary;
using FmriToImage.Data;
using FmriToImage.Data.Hdf5;

namespace FmriToImage.Tests.Data.Hdf5;

public class Hdf5MalformedTests
{
    private static T Reject<T>(byte[] bytes, Action<Hdf5File> use)
        where T : Exception
    {
        string path = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.h5");
        File.WriteAllBytes(path, bytes);
        try
        {
            return Assert.ThrowsAny<T>(() =>
            {
                using var f = Hdf5File.Open(path);
                use(f);
            });
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static byte[] Fixture(string name) => File.ReadAllBytes(DataFixtures.Path("hdf5", name + ".h5"));

    private static void ReadEverything(Hdf5File f)
    {
        foreach (var a in f.Root.Attributes)
        {
            _ = a.DataType.Class is Hdf5TypeClass.String or Hdf5TypeClass.VariableLengthString ? a.ReadStrings().Length
                : a.DataType.IsNumeric ? a.ReadDoubles().Length : 0;
        }

        foreach (var d in f.Root.AllDatasets())
        {
            _ = d.Attributes.Count;
            if (d.DataType.IsNumeric && d.ElementCount < 1_000_000)
            {
                d.ReadTensor();
            }
        }
    }

    [Fact]
    public void Not_an_hdf5_file() => Assert.Equal(0, Reject<Hdf5FormatException>([1, 2, 3, 4], _ => { }).Offset);

    [Fact]
    public void Unknown_superblock_version()
    {
        var b = Fixture("sb0");
        b[8] = 7;
        Assert.Equal(8, Reject<Hdf5FormatException>(b, _ => { }).Offset);
    }

    [Fact]
    public void Truncated_file()
    {
        var b = Fixture("sb0");
        Reject<Hdf5FormatException>(b[..2000], ReadEverything);
    }

    [Fact]
    public void Root_address_outside_the_file()
    {
        var b = Fixture("sb3");
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(36), 1L << 40); // root object header address of superblock v3
        var ex = Reject<Hdf5FormatException>(b, f => _ = f.Root.ChildNames);
        Assert.Contains("outside", ex.Message);
    }

    [Fact]
    public void Cyclic_object_header_continuation()
    {
        // Find a v1 continuation message (type 0x0010, size 16) and aim it at its own bytes, so the block it
        // points to starts with the same continuation again.
        var b = Fixture("sb0");
        for (int i = 0; i + 24 < b.Length; i += 8)
        {
            if (BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(i)) == 0x10 && BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(i + 2)) == 16)
            {
                long target = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(i + 8));
                if (target > 0 && target < b.Length)
                {
                    BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(i + 8), i);
                    break;
                }
            }
        }

        var ex = Assert.ThrowsAny<FmriToImageException>(() =>
        {
            string path = Path.Combine(Path.GetTempPath(), $"cyc-{Guid.NewGuid():N}.h5");
            File.WriteAllBytes(path, b);
            try
            {
                using var f = Hdf5File.Open(path);
                ReadEverything(f);
            }
            finally
            {
                File.Delete(path);
            }
        });
        Assert.Contains("cycle", ex.Message);
    }

    [Theory]
    [InlineData("/contiguous", 7L, 6L, 5L, typeof(Hdf5FormatException))] // contiguous storage must hold every element: malformed
    [InlineData("/chunked/plain", 9L, 7L, 5L, typeof(DataSizeLimitException))] // legal (chunks never written), but past the read limit
    public void Huge_dataspace_is_rejected_before_allocating(string dataset, long d0, long d1, long d2, Type expected)
    {
        // Find the dataspace dims (three little-endian u64) and claim 2^40 rows: a read must not try to allocate them.
        var b = Fixture("sb0");
        byte[] pattern = [.. BitConverter.GetBytes(d0), .. BitConverter.GetBytes(d1), .. BitConverter.GetBytes(d2)];
        int at = b.AsSpan().IndexOf(pattern);
        Assert.True(at > 0);
        BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(at), 1L << 40);
        var ex = Reject<FmriToImageException>(b, f => f.GetDataset(dataset).ReadTensor());
        Assert.IsType(expected, ex);
        Assert.Contains("1099511627776", ex.Message);
    }

    [Theory]
    [InlineData("/chunked/deflate", "deflate")]
    [InlineData("/chunked/fletcher32", "fletcher32")]
    [InlineData("/chunked/all_filters", "")]
    public void Corrupt_filtered_chunk(string dataset, string expectedWord)
    {
        // The chunk's offset and size come from h5py's get_chunk_info (manifest), not from the reader under test.
        long[] chunk = Hdf5FileTests.Manifest["sb0"].Datasets.Single(d => d.Path == dataset).FirstChunk!;
        var b = Fixture("sb0");
        for (long i = chunk[0] + 2; i < chunk[0] + chunk[1] - 4; i += 3)
        {
            b[i] ^= 0x5A;
        }

        var ex = Reject<Hdf5FormatException>(b, f => f.GetDataset(dataset).ReadTensor());
        Assert.Contains(expectedWord, ex.Message);
        Assert.InRange(Assert.NotNull(ex.Offset), chunk[0], chunk[0] + chunk[1]);
    }
}
