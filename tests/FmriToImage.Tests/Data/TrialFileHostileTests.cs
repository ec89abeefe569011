using FmriToImage.Data;
using FmriToImage.Data.Hdf5;
using FmriToImage.Data.Nifti;
using FmriToImage.Data.Npy;

namespace FmriToImage.Tests.Data;

/// <summary>
/// Huge declared shapes (tests/fixtures/data/hostile, make_hostile_fixtures.py): what a read allocates follows from
/// what is asked, within <see cref="ReadLimits.MaxValues"/>, and anything past it is a typed error naming the file,
/// the declared shape and the limit — never an OverflowException or an 8 GB allocation.
/// </summary>
// Runs alone: one test measures allocation with GC.GetTotalAllocatedBytes, which counts every thread of the process.
[Collection(nameof(FmriToImage.Tests.Onnx.ProcessEnvironmentCollection))]
public class TrialFileHostileTests
{
    private const int Wide = 2534;

    private static VoxelMask Cube() => new((2, 2, 2), Enumerable.Repeat(true, 8).ToArray());

    [Fact]
    public async Task Volumes_declaring_2_to_the_31_trials_are_refused_with_the_limit()
    {
        string path = HostileFixtures.Path("trials_2e31_volumes.h5");
        var e = await Assert.ThrowsAsync<DataSizeLimitException>(() => TrialFile.ReadAsync(path, 8, Cube()));
        Assert.Contains(path, e.FilePath);
        Assert.Equal("(2147483648, 2, 2, 2)", e.DeclaredShape);
        Assert.Equal(ReadLimits.MaxValues, e.Limit);
        Assert.Contains(ReadLimits.MaxValues.ToString(), e.Message);
    }

    [Fact]
    public void VoxelMatrix_from_hdf5_checks_the_declared_size_before_reading()
    {
        using var f = Hdf5File.Open(HostileFixtures.Path("trials_2e31_volumes.h5"));
        var betas = f.GetDataset("/betas");
        Task<VoxelMatrix>? started = null;
        Assert.Throws<DataSizeLimitException>(() => { started = VoxelMatrix.FromHdf5Async(betas, VoxelSelection.All(Cube())); });
        Assert.Null(started); // thrown by the call itself, before a worker starts
    }

    [Fact]
    public async Task A_matrix_of_2_to_the_31_unwritten_rows_reads_the_rows_asked_for()
    {
        string path = HostileFixtures.Path("trials_2e31_matrix.h5");
        var one = await TrialFile.ReadAsync(path, 8, null, limit: 1);
        Assert.Equal(1, one.Voxels.TrialCount);
        Assert.All(one.Voxels.Row(0).ToArray(), v => Assert.Equal(0f, v)); // the fill value
        var all = await Assert.ThrowsAsync<DataSizeLimitException>(() => TrialFile.ReadAsync(path, 8, null));
        Assert.Contains("--limit", all.Message);
    }

    [Theory]
    [InlineData("wide_800000x2534_contiguous.h5", 0f)]
    [InlineData("wide_800000x2534_sparse.h5", 1f)]
    [InlineData("wide_800000x2534_deflate.h5", 1f)]
    public async Task One_row_of_800000_declared_allocates_about_one_row(string name, float first)
    {
        string path = HostileFixtures.Path(name);
        long before = GC.GetTotalAllocatedBytes(precise: true);
        var read = await TrialFile.ReadAsync(path, Wide, null, limit: 1);
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
        Assert.Equal(800_000, read.TrialsInFile);
        Assert.Equal(first, read.Voxels.Row(0)[0]);
        Assert.Equal(first * Wide, read.Voxels.Row(0)[Wide - 1]);

        // One row is 10 KB; a deflate chunk of 1000 rows decodes to 10 MB. The declared matrix is 8 GB.
        Assert.True(allocated < 64L << 20, $"reading one row of {name} allocated {allocated} bytes");
        await Assert.ThrowsAsync<DataSizeLimitException>(() => TrialFile.ReadAsync(path, Wide, null));
    }

    [Theory]
    [InlineData("compound")]
    [InlineData("bool")]
    [InlineData("vlen_string")]
    public async Task Non_numeric_betas_are_refused_before_their_shape_is_judged(string kind)
    {
        // The decoder's width (15724) differs from the file's (8): the element type is reported, not the width.
        string path = HostileFixtures.Path($"betas_{kind}.h5");
        var e = await Assert.ThrowsAsync<Hdf5TypeNotNumericException>(() => TrialFile.ReadAsync(path, 15724, null));
        Assert.Equal(path, e.FilePath);
    }

    [Fact]
    public async Task A_soft_link_bomb_named_betas_fails_fast()
    {
        var read = TrialFile.ReadAsync(HostileFixtures.Path("link_bomb.h5"), 8, null);
        Assert.True(await Task.WhenAny(read, Task.Delay(TimeSpan.FromSeconds(5))) == read, "link_bomb.h5 did not fail within 5 s");
        await Assert.ThrowsAsync<Hdf5FormatException>(() => read);
    }

    [Fact]
    public async Task An_npy_declaring_more_than_it_holds_is_malformed()
    {
        var e = await Assert.ThrowsAsync<NpyFormatException>(() => TrialFile.ReadAsync(HostileFixtures.Path("npy_declares_2e31.npy"), 8, null, limit: 1));
        Assert.Contains("(2147483648, 8)", e.Message);
    }

    [Fact]
    public void A_nifti_declaring_more_volumes_than_it_holds_is_malformed() =>
        Assert.Throws<NiftiFormatException>(() =>
        {
            using var r = NiftiReader.Open(HostileFixtures.Path("nii_declares_huge.nii"));
            r.ReadAll();
        });
}
