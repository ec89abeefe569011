using System.Numerics.Tensors;
using System.Text.Json;
using FmriToImage.Data.Npy;
using FsCheck.Xunit;

namespace FmriToImage.Tests.Data.Npy;

/// <summary>
/// Reads the fixtures written by tests/fixtures/data/make_npy_fixtures.py (NumPy) and compares with the values
/// that script lists in npy/manifest.json.
/// </summary>
public class NpyFileTests
{
    public sealed record Entry(string File, string Descr, long[] Shape, bool Fortran, bool BigEndian, int Version, double[] Values);

    private static readonly Entry[] Manifest = JsonSerializer.Deserialize<Entry[]>(
        File.ReadAllText(DataFixtures.Path("npy", "manifest.json")),
        new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;

    public static TheoryData<string> Files() => new(Manifest.Select(e => e.File));

    [Theory]
    [MemberData(nameof(Files))]
    public void ReadAsSingle_matches_numpy(string file)
    {
        Entry e = Manifest.Single(m => m.File == file);
        string path = DataFixtures.Path("npy", file);
        NpyHeader header = NpyFile.ReadHeader(path);
        Assert.Equal(e.Shape, header.Shape);
        Assert.Equal(e.Fortran, header.FortranOrder);
        Assert.Equal(e.Version, header.MajorVersion);
        Assert.Equal(e.BigEndian, header.IsBigEndian);

        Tensor<float> t = NpyFile.ReadAsSingle(path);
        float[] got = t.ToArray();
        Assert.Equal(e.Values.Length, got.Length);
        for (int i = 0; i < got.Length; i++)
        {
            Assert.Equal((float)e.Values[i], got[i]);
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Read_typed_matches_numpy_exactly(string file)
    {
        Entry e = Manifest.Single(m => m.File == file);
        string path = DataFixtures.Path("npy", file);
        double[] got = e.Descr switch
        {
            "b1" => NpyFile.Read<bool>(path).ToArray().Select(b => b ? 1.0 : 0.0).ToArray(),
            "i1" => NpyFile.Read<sbyte>(path).ToArray().Select(v => (double)v).ToArray(),
            "u1" => NpyFile.Read<byte>(path).ToArray().Select(v => (double)v).ToArray(),
            "i2" => NpyFile.Read<short>(path).ToArray().Select(v => (double)v).ToArray(),
            "u2" => NpyFile.Read<ushort>(path).ToArray().Select(v => (double)v).ToArray(),
            "i4" => NpyFile.Read<int>(path).ToArray().Select(v => (double)v).ToArray(),
            "u4" => NpyFile.Read<uint>(path).ToArray().Select(v => (double)v).ToArray(),
            "i8" => NpyFile.Read<long>(path).ToArray().Select(v => (double)v).ToArray(),
            "u8" => NpyFile.Read<ulong>(path).ToArray().Select(v => (double)v).ToArray(),
            "f2" => NpyFile.Read<Half>(path).ToArray().Select(v => (double)v).ToArray(),
            "f4" => NpyFile.Read<float>(path).ToArray().Select(v => (double)v).ToArray(),
            _ => NpyFile.Read<double>(path).ToArray(),
        };
        Assert.Equal(e.Values, got);
    }

    [Fact]
    public void Read_with_the_wrong_type_names_both_types()
    {
        var ex = Assert.Throws<NpyFormatException>(() => NpyFile.Read<int>(DataFixtures.Path("npy", "f4_le_c_v1.npy")));
        Assert.Contains("Float32", ex.Message);
        Assert.Contains("Int32", ex.Message);
    }

    [Fact]
    public void Writer_output_is_byte_identical_to_numpy()
    {
        string reference = DataFixtures.Path("npy", "f4_le_c_v1.npy");
        Tensor<float> t = NpyFile.Read<float>(reference);
        using var ms = new MemoryStream();
        NpyFile.Write<float>(ms, t.ToArray(), [2, 3, 4]);
        Assert.Equal(File.ReadAllBytes(reference), ms.ToArray());

        using var ms1 = new MemoryStream();
        NpyFile.Write<short>(ms1, new short[] { -3, 0, 7 }, [3]);
        Assert.Equal(File.ReadAllBytes(DataFixtures.Path("npy", "vector_i2.npy")), ms1.ToArray());
    }

    [Property(MaxTest = 200)]
    public bool Write_then_read_round_trips_floats(float[] values, byte split)
    {
        long[] shape = values.Length > 0 && split % 2 == 0 && values.Length % 2 == 0 ? [2, values.Length / 2] : [values.Length];
        using var ms = new MemoryStream();
        NpyFile.Write<float>(ms, values, shape);
        ms.Position = 0;
        Tensor<float> back = NpyFile.Read<float>(ms, "memory");
        return back.Rank == shape.Length && back.ToArray().AsSpan().SequenceEqual(values);
    }

    [Property(MaxTest = 100)]
    public bool Write_then_read_round_trips_longs(long[] values)
    {
        using var ms = new MemoryStream();
        NpyFile.Write<long>(ms, values, [values.Length]);
        ms.Position = 0;
        return NpyFile.Read<long>(ms, "memory").ToArray().AsSpan().SequenceEqual(values);
    }

    [Fact]
    public void Write_tensor_then_read()
    {
        string path = Path.Combine(Path.GetTempPath(), $"npy-{Guid.NewGuid():N}.npy");
        try
        {
            var t = Tensor.Create(new double[] { 1, 2, 3, 4, 5, 6 }, [3, 2]);
            NpyFile.Write(path, t);
            Tensor<double> back = NpyFile.Read<double>(path);
            Assert.Equal(new nint[] { 3, 2 }, back.Lengths.ToArray());
            Assert.Equal(t.ToArray(), back.ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Write_rejects_a_shape_that_does_not_match()
    {
        Assert.Throws<ArgumentException>(() => NpyFile.Write<float>(new MemoryStream(), new float[5], [2, 3]));
    }
}
