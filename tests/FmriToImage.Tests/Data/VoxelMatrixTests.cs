using FmriToImage.Data;
using FmriToImage.Data.Atlas;
using FmriToImage.Data.Hdf5;
using FmriToImage.Data.Nifti;
using FmriToImage.Data.Npy;
using FmriToImage.Data.Nsd;
using FmriToImage.Tests.Data.Atlas;

namespace FmriToImage.Tests.Data;

/// <summary>Voxel matrices against NumPy references from tests/fixtures/data/make_atlas_fixtures.py.</summary>
public class VoxelMatrixTests
{
    internal static float[] Reference(string name) => NpyFile.ReadAsSingle(DataFixtures.Path("atlas", name + ".npy")).ToArray();

    internal static VoxelMatrix Set1FromHdf5()
    {
        using var f = Hdf5File.Open(DataFixtures.Path("hdf5", "nsd_betas.h5"));
        return VoxelMatrix.FromHdf5(f.GetDataset("/betas"), RoiSet.Set1.Select(RoiAtlasTests.All()), VoxelOrder.NumpyXyz, 1 / NsdLayout.BetaScale);
    }

    private static void AssertClose(float[] expected, ReadOnlySpan<float> actual, float tolerance = 1e-6f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    [Fact]
    public async Task Nifti_select_matches_numpy_boolean_indexing()
    {
        using var reader = NiftiReader.Open(DataFixtures.Path("atlas", "betas_session01.nii.gz"));
        var m = await VoxelMatrix.FromNiftiAsync(reader, RoiSet.Set1.Select(RoiAtlasTests.All()), scale: 1 / NsdLayout.BetaScale);
        Assert.Equal(10, m.TrialCount);
        AssertClose(Reference("set1_select_nifti"), m.Values);
    }

    [Fact]
    public async Task Nifti_zero_fill_within_nsdgeneral_matches_numpy()
    {
        using var reader = NiftiReader.Open(DataFixtures.Path("atlas", "betas_session01.nii.gz"));
        var selection = RoiSet.Set1.ZeroFillWithin(RoiAtlasTests.NsdGeneral(), RoiAtlasTests.All());
        var m = await VoxelMatrix.FromNiftiAsync(reader, selection, scale: 1 / NsdLayout.BetaScale);
        Assert.Equal(RoiAtlasTests.NsdGeneral().Count, m.VoxelCount);
        AssertClose(Reference("set1_zerofill_nifti"), m.Values);
    }

    [Fact]
    public void Hdf5_betas_match_numpy()
    {
        var m = Set1FromHdf5();
        Assert.Equal(750, m.TrialCount);
        AssertClose(Reference("set1_select_h5"), m.Values);
        Assert.Equal(m.VoxelCount, m.Row(3).Length);
    }

    [Fact]
    public void Average_repetitions_matches_numpy()
    {
        var m = Set1FromHdf5();
        var averaged = m.AverageRepetitions(Enumerable.Range(0, 750).Select(t => t % 100).ToArray(), out int[] keys);
        Assert.Equal(Enumerable.Range(0, 100), keys);
        AssertClose(Reference("average_by_key"), averaged.Values, 1e-5f);
    }

    [Fact]
    public void Mismatched_grids_are_rejected()
    {
        using var f = Hdf5File.Open(DataFixtures.Path("hdf5", "nsd_betas.h5"));
        var wrong = VoxelSelection.All(new VoxelMask((5, 4, 6), new bool[120]));
        Assert.Throws<ArgumentException>(() => VoxelMatrix.FromHdf5(f.GetDataset("/betas"), wrong));
        Assert.Throws<ArgumentException>(() => new VoxelMatrix(new float[5], 2, 3));
    }
}
