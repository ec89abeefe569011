using FmriToImage.Data;
using FmriToImage.Interpretation;

namespace FmriToImage.Tests.Interpretation;

/// <summary>Painting region importances into a 2×2×2 grid whose mask holds 4 voxels.</summary>
public class ImportanceVolumeTests
{
    // Mask voxels at on-disk indices 1, 2, 5, 6 (x fastest). NumpyXyz order sorts by (x, y, z):
    // index 2 = (0,1,0), 6 = (0,1,1), 1 = (1,0,0), 5 = (1,0,1) → columns 0..3 are grid voxels 2, 6, 1, 5.
    private static readonly VoxelMask Mask = new((2, 2, 2), [false, true, true, false, false, true, true, false]);

    private static readonly DecoderRegion[] Regions = [new("a", [0, 1]), new("b", [1, 2])];

    private static readonly RegionImportance Importance = new(["a", "b"], [0.1f, 0.3f, /* trial 2 */ 0.5f, 0.2f], [0.3f, 0.25f]);

    [Fact]
    public void Each_region_paints_its_voxels_overlaps_keep_the_largest_and_the_rest_is_zero()
    {
        Assert.Equal([0, 0.25f, 0.3f, 0, 0, 0, 0.3f, 0], ImportanceVolume.Paint(Importance, Regions, Mask, VoxelOrder.NumpyXyz));
        Assert.Equal([0, 0.3f, 0.1f, 0, 0, 0, 0.3f, 0], ImportanceVolume.Paint(Importance, Regions, Mask, VoxelOrder.NumpyXyz, trial: 0));
        Assert.Equal([0, 0.2f, 0.5f, 0, 0, 0, 0.5f, 0], ImportanceVolume.Paint(Importance, Regions, Mask, VoxelOrder.NumpyXyz, trial: 1));
    }

    [Fact]
    public void Regions_that_are_not_the_importances_regions_are_refused()
    {
        Assert.Throws<ArgumentException>(() => ImportanceVolume.Paint(Importance, [Regions[1], Regions[0]], Mask, VoxelOrder.NumpyXyz));
        Assert.Throws<ArgumentException>(() => ImportanceVolume.Paint(Importance, [Regions[0]], Mask, VoxelOrder.NumpyXyz));
        Assert.Throws<ArgumentException>(() => ImportanceVolume.Paint(Importance, [Regions[0], new("b", [4])], Mask, VoxelOrder.NumpyXyz));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImportanceVolume.Paint(Importance, Regions, Mask, VoxelOrder.NumpyXyz, trial: 2));
    }
}
