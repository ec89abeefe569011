using FmriToImage.Data;
using FmriToImage.Data.Hdf5;

namespace FmriToImage.Tests.Data.Hdf5;

/// <summary>
/// The hostile HDF5 files of tests/fixtures/data/hostile (make_hostile_fixtures.py, which records what libhdf5 does
/// with each in hostile/manifest.json): every one ends in a typed error, fast.
/// </summary>
public class Hdf5HostileTests
{
    private static readonly TimeSpan Fast = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData("link_bomb.h5")]
    [InlineData("link_cycle.h5")]
    public void Soft_link_bomb_and_cycle_stop_at_libhdf5s_link_count(string name)
    {
        // libhdf5 refuses both at once ("too many links"); followed naively the bomb costs 8^14 lookups.
        var e = HostileFixtures.Within(Fast, () =>
        {
            using var f = Hdf5File.Open(HostileFixtures.Path(name));
            f.GetDataset("/betas");
        }, name);
        var format = Assert.IsType<Hdf5FormatException>(e);
        Assert.Contains("too many links", format.Message);
        Assert.Contains("/betas", format.Message);
        Assert.EndsWith(name, format.File);
    }

    [Fact]
    public void Soft_links_within_libhdf5s_count_resolve()
    {
        // L1 follows 9 soft links (itself, then L0 eight times), within libhdf5's 16; L2 would need 73.
        using var f = Hdf5File.Open(HostileFixtures.Path("link_bomb.h5"));
        Assert.Equal([1, 8], f.GetDataset("/L1/data").Shape);
        var e = Assert.Throws<Hdf5FormatException>(() => f.GetDataset("/L2/data"));
        Assert.Contains("more than 16 soft links", e.Message);
    }

    [Fact]
    public void Listing_a_group_of_link_bombs_ends_in_a_typed_error()
    {
        var e = HostileFixtures.Within(Fast, () =>
        {
            using var f = Hdf5File.Open(HostileFixtures.Path("link_bomb.h5"));
            _ = f.Root.AllDatasets().Count();
        }, "AllDatasets of link_bomb.h5");
        Assert.IsType<Hdf5FormatException>(e);
    }

    [Theory]
    [InlineData("compound", "compound (HDF5 class 6)")]
    [InlineData("enum", "enum (HDF5 class 8)")]
    [InlineData("bool", "enum (HDF5 class 8)")]
    [InlineData("string", "fixed-length string (HDF5 class 3)")]
    [InlineData("vlen_string", "variable-length string (HDF5 class 9)")]
    [InlineData("array", "array (HDF5 class 10)")]
    [InlineData("opaque", "opaque (HDF5 class 5)")]
    [InlineData("vlen", "variable-length sequence (HDF5 class 9)")]
    public void Non_numeric_betas_name_the_file_the_type_and_what_is_supported(string kind, string found)
    {
        string path = HostileFixtures.Path($"betas_{kind}.h5");
        using var f = Hdf5File.Open(path);
        var betas = f.GetDataset("/betas");
        Assert.False(betas.DataType.IsNumeric);
        var e = Assert.Throws<Hdf5TypeNotNumericException>(() => betas.ReadHyperslab([0, 0], [1, 8], [], new float[8]));
        Assert.Equal(path, e.FilePath);
        Assert.Equal("/betas", e.DatasetPath);
        Assert.StartsWith(found, e.Found);
        Assert.Contains(Hdf5TypeNotNumericException.Supported, e.Message);
        Assert.IsAssignableFrom<FmriToImageException>(e);
    }

    [Fact]
    public void A_cancelled_read_stops_between_units()
    {
        using var f = Hdf5File.Open(HostileFixtures.Path("wide_800000x2534_sparse.h5"));
        var betas = f.GetDataset("/betas");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => betas.ReadHyperslab([0, 0], [8, 2534], [], new float[8 * 2534], cancelled.Token));
    }

    [Fact]
    public void Reading_all_of_a_huge_sparse_dataset_is_refused_with_the_limit()
    {
        using var f = Hdf5File.Open(HostileFixtures.Path("trials_2e31_matrix.h5"));
        var e = Assert.Throws<DataSizeLimitException>(() => f.GetDataset("/betas").ReadTensor());
        Assert.Equal(ReadLimits.MaxValues, e.Limit);
        Assert.Equal("(2147483648, 8)", e.DeclaredShape);
    }

    [Fact]
    public void One_row_of_a_tall_unfiltered_chunk_reads_one_row()
    {
        // Chunks (4, 2534): the row is read from its chunk alone (row 0 = 1..2534, the rest never written = 0).
        using var f = Hdf5File.Open(HostileFixtures.Path("wide_800000x2534_sparse.h5"));
        var betas = f.GetDataset("/betas");
        var rows = new float[2 * 2534];
        betas.ReadHyperslab([0, 0], [2, 2534], [], rows);
        Assert.Equal(Enumerable.Range(1, 2534).Select(i => (float)i), rows[..2534]);
        Assert.All(rows[2534..], v => Assert.Equal(0f, v));
        var part = new float[3];
        betas.ReadHyperslab([0, 100], [1, 3], [], part);
        Assert.Equal([101f, 102f, 103f], part);
    }
}
