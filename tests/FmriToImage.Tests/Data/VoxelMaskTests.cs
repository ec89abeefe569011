using System.Text.Json;
using FmriToImage.Data;

namespace FmriToImage.Tests.Data;

/// <summary>Masks read from NIfTI volumes, against tests/fixtures/data/make_atlas_fixtures.py (NumPy's mask &gt; 0).</summary>
public class VoxelMaskTests
{
    [Fact]
    public void A_mask_keeps_a_copy_of_the_callers_flags()
    {
        var flags = new[] { true, false, false, true, false, false };
        var mask = new VoxelMask((1, 2, 3), flags);
        flags[1] = true;
        Assert.False(mask.Contains(1));
        Assert.Equal(2, mask.Count);
    }

    [Fact]
    public void From_nifti_keeps_the_voxels_above_zero_in_numpy_order()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(DataFixtures.Path("atlas", "manifest.json")));
        var expected = manifest.RootElement.GetProperty("nsdgeneral").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var mask = VoxelMask.FromNifti(DataFixtures.Path("atlas", "nsdgeneral.nii.gz"));
        Assert.Equal((4, 5, 6), mask.Dimensions);
        Assert.Equal(expected, mask.Indices(VoxelOrder.NumpyXyz));
    }

    [Fact]
    public void From_nifti_refuses_a_file_of_several_volumes()
    {
        var path = DataFixtures.Path("atlas", "betas_session01.nii.gz");
        var e = Assert.Throws<DataShapeException>(() => VoxelMask.FromNifti(path));
        Assert.Equal(path, e.FilePath);
        Assert.Contains("(4, 5, 6, 10)", e.Actual, StringComparison.Ordinal);
    }
}
