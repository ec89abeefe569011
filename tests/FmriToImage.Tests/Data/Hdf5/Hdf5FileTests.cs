using System.Text.Json;
using FmriToImage.Data.Hdf5;
using FmriToImage.Data.Npy;

namespace FmriToImage.Tests.Data.Hdf5;

/// <summary>
/// Reads the files written by tests/fixtures/data/make_hdf5_fixtures.py (h5py + h5repack) and compares every
/// dataset with the values h5py wrote to hdf5/expected/&lt;name&gt;.npy.
/// </summary>
public class Hdf5FileTests
{
    public sealed record Ds(string Path, string Expected, long[] Shape, string Dtype, long[]? Chunks, string? Compression, bool Shuffle, bool Fletcher32, long[]? FirstChunk);

    public sealed record FileEntry(Ds[] Datasets);

    internal static readonly Dictionary<string, FileEntry> Manifest = JsonSerializer.Deserialize<Dictionary<string, FileEntry>>(
        File.ReadAllText(DataFixtures.Path("hdf5", "manifest.json")),
        new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;

    public static TheoryData<string, string> Datasets()
    {
        var data = new TheoryData<string, string>();
        foreach (var (file, entry) in Manifest)
        {
            foreach (var d in entry.Datasets)
            {
                data.Add(file, d.Path);
            }
        }

        return data;
    }

    internal static double[] Expected(string name) => NpyFile.Read<double>(DataFixtures.Path("hdf5", "expected", name + ".npy")).ToArray();

    internal static Hdf5File Open(string file) => Hdf5File.Open(DataFixtures.Path("hdf5", file + ".h5"));

    [Theory]
    [InlineData("sb0", 0)]
    [InlineData("sb1", 1)]
    [InlineData("sb2", 2)]
    [InlineData("sb3", 3)]
    public void Superblock_versions(string file, int version)
    {
        using var f = Open(file);
        Assert.Equal(version, f.SuperblockVersion);
    }

    [Theory]
    [MemberData(nameof(Datasets))]
    public void Whole_dataset_matches_h5py(string file, string path)
    {
        Ds d = Manifest[file].Datasets.Single(x => x.Path == path);
        using var f = Open(file);
        Hdf5Dataset ds = f.GetDataset(path);
        Assert.Equal(d.Shape, ds.Shape);
        Assert.Equal(d.Dtype.Replace("|", "<"), ds.DataType.ToString());
        if (file != "sb3_repacked")
        {
            Assert.Equal(d.Chunks, ds.ChunkShape?.ToArray());
            Assert.Equal(d.Compression == "gzip", ds.Filters.Contains("deflate"));
            Assert.Equal(d.Shuffle, ds.Filters.Contains("shuffle"));
            Assert.Equal(d.Fletcher32, ds.Filters.Contains("fletcher32"));
        }

        float[] got = ds.ReadTensor().ToArray();
        double[] expected = Expected(d.Expected);
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < got.Length; i++)
        {
            Assert.Equal((float)expected[i], got[i]);
        }
    }

    [Fact]
    public void Chunk_index_types_of_the_latest_format()
    {
        using var f = Open("sb3");
        Assert.Equal(Hdf5ChunkIndexType.SingleChunk, f.GetDataset("/index/single").ChunkIndexType);
        Assert.Equal(Hdf5ChunkIndexType.SingleChunk, f.GetDataset("/index/single_filtered").ChunkIndexType);
        Assert.Equal(Hdf5ChunkIndexType.Implicit, f.GetDataset("/index/implicit").ChunkIndexType);
        Assert.Equal(Hdf5ChunkIndexType.FixedArray, f.GetDataset("/chunked/plain").ChunkIndexType);
        Assert.Equal(Hdf5ChunkIndexType.FixedArray, f.GetDataset("/chunked/many").ChunkIndexType);
        Assert.Equal(Hdf5ChunkIndexType.BTreeV2, f.GetDataset("/index/btree2").ChunkIndexType);
        Assert.Equal(Hdf5ChunkIndexType.ExtensibleArray, f.GetDataset("/index/earray").ChunkIndexType);
        Assert.Equal(Hdf5ChunkIndexType.ExtensibleArray, f.GetDataset("/index/earray_many").ChunkIndexType);
        Assert.Equal(Hdf5ChunkIndexType.ExtensibleArray, f.GetDataset("/index/earray_gzip").ChunkIndexType);
        using var old = Open("sb0");
        Assert.Equal(Hdf5ChunkIndexType.BTreeV1, old.GetDataset("/chunked/many").ChunkIndexType);
        Assert.Equal(Hdf5Layout.Compact, old.GetDataset("/compact").Layout);
        Assert.Equal(Hdf5Layout.Contiguous, old.GetDataset("/contiguous").Layout);
    }

    [Theory]
    [InlineData("sb0")]
    [InlineData("sb1")]
    [InlineData("sb2")]
    [InlineData("sb3")]
    public void Attributes_and_groups(string file)
    {
        using var f = Open(file);
        Assert.Equal("fixture " + file, f.Root.Attribute("title").ReadString());
        Assert.Equal(Hdf5TypeClass.VariableLengthString, f.Root.Attribute("title").DataType.Class);
        Assert.Equal("fixed-len", f.Root.Attribute("fixed").ReadString());
        Assert.Equal(Hdf5TypeClass.String, f.Root.Attribute("fixed").DataType.Class);
        Assert.Equal([42.0], f.Root.Attribute("answer").ReadDoubles());
        Assert.Equal([0.5, 1.5, -2.25], f.Root.Attribute("scales").ReadDoubles());
        Assert.Equal("psc x 300", f.GetDataset("/chunked/plain").Attribute("units").ReadString());

        Hdf5Group many = f.GetGroup("/many_links");
        Assert.Equal(Enumerable.Range(0, 40).Select(i => $"d{i:D2}"), many.ChildNames.Order(StringComparer.Ordinal));
        foreach (var d in many.Datasets())
        {
            var v = d.ReadTensor().ToArray();
            Assert.Equal(int.Parse(d.Path[^2..]), (int)v[0]);
        }

        Assert.Contains("types", f.Root.ChildNames);
        Assert.Equal(17, f.GetGroup("types").Datasets().Count());
        Assert.Equal(f.GetDataset("/contiguous").ReadTensor().ToArray(), f.GetDataset("/soft").ReadTensor().ToArray());
        var ex = Assert.Throws<Hdf5ObjectNotFoundException>(() => f.GetDataset("/nope"));
        Assert.Contains("many_links", ex.Message);
        Assert.Equal("/nope", ex.ObjectPath);
        Assert.IsAssignableFrom<FmriToImageException>(ex);
        Assert.Throws<Hdf5ObjectNotFoundException>(() => f.GetGroup("/contiguous"));
    }

    [Fact]
    public void Dense_attributes()
    {
        using var f = Open("sb3");
        var attrs = f.GetDataset("/dense_attrs").Attributes;
        Assert.Equal(20, attrs.Count);
        foreach (var a in attrs)
        {
            Assert.Equal(int.Parse(a.Name[1..]) / 4.0, a.ReadDoubles()[0]);
        }
    }

    [Fact]
    public void Unsupported_features_name_the_repack_command()
    {
        var ex = new Hdf5NotSupportedException("x.h5", "virtual dataset layout", "h5repack -l CONTI in.h5 out.h5");
        Assert.Contains("h5repack -l CONTI", ex.Message);
        Assert.IsAssignableFrom<FmriToImageException>(ex);
    }

    [Fact]
    public void Chunked_file_reads_after_the_named_repack()
    {
        using var f = Open("sb3_repacked");
        var expected = Expected("index_earray").Select(v => (float)v);
        Assert.Equal(expected, f.GetDataset("/index/earray").ReadTensor().ToArray());
    }

    [Fact]
    public void AllDatasets_walks_the_tree()
    {
        using var f = Open("sb0");
        var paths = f.Root.AllDatasets().Select(d => d.Path).ToHashSet();
        Assert.Contains("/chunked/many", paths);
        Assert.Contains("/many_links/d39", paths);
        Assert.Contains("/types/be_f8", paths);
    }
}
