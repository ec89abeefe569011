using FmriToImage.Data;
using FmriToImage.Data.Nifti;

namespace FmriToImage.Interpretation;

/// <summary>
/// Region importances painted back into the subject's grid: every voxel of a region (a decoder column, placed at its
/// grid voxel) gets the region's importance; where regions overlap, the largest; everywhere else 0. Written as a
/// float32 NIfTI-1 volume in the grid of a reference header (e.g. the decoder's nsdgeneral mask), readable by nibabel
/// and viewers.
/// </summary>
internal static class ImportanceVolume
{
    /// <summary>
    /// The map in NIfTI on-disk order (x fastest): the trial-averaged importances, or trial <paramref name="trial"/>'s.
    /// </summary>
    /// <param name="importance">The importances, computed for <paramref name="regions"/> in the same order.</param>
    /// <param name="regions">The regions (decoder columns).</param>
    /// <param name="decoderVoxels">The decoder's voxel mask; column j is grid voxel <c>Indices(order)[j]</c>.</param>
    /// <param name="order">The decoder's voxel order.</param>
    /// <param name="trial">A trial index, or null for the mean over trials.</param>
    /// <exception cref="ArgumentException">The regions do not match the importances or name a column the mask lacks.</exception>
    public static float[] Paint(RegionImportance importance, IReadOnlyList<DecoderRegion> regions, VoxelMask decoderVoxels, VoxelOrder order, int? trial = null)
    {
        ArgumentNullException.ThrowIfNull(importance);
        ArgumentNullException.ThrowIfNull(regions);
        ArgumentNullException.ThrowIfNull(decoderVoxels);
        if (regions.Count != importance.Regions.Count || regions.Where((r, i) => r.Name != importance.Regions[i]).Any())
        {
            throw new ArgumentException($"{regions.Count} regions given; the importances are for {importance.Regions.Count} ({string.Join(", ", importance.Regions)}), in that order", nameof(regions));
        }

        if (trial is { } t)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(t, nameof(trial));
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(t, importance.TrialCount, nameof(trial));
        }

        ReadOnlySpan<float> values = trial is { } row ? importance.Trial(row) : importance.Mean;
        int[] grid = decoderVoxels.Indices(order);
        (int x, int y, int z) = decoderVoxels.Dimensions;
        var volume = new float[x * y * z];
        var painted = new bool[volume.Length];
        for (int r = 0; r < regions.Count; r++)
        {
            foreach (int column in regions[r].Columns)
            {
                if ((uint)column >= (uint)grid.Length)
                {
                    throw new ArgumentException($"region '{regions[r].Name}' names column {column}; the decoder's mask has {grid.Length} voxels", nameof(regions));
                }

                int voxel = grid[column];
                volume[voxel] = painted[voxel] ? Math.Max(volume[voxel], values[r]) : values[r];
                painted[voxel] = true;
            }
        }

        return volume;
    }

    /// <summary>
    /// Writes the trial-averaged map (one volume) to <paramref name="path"/> (<c>.nii.gz</c> or <c>.nii</c>) in
    /// <paramref name="reference"/>'s grid, which must be the mask's grid.
    /// </summary>
    /// <exception cref="ArgumentException">The grids differ, or as <see cref="Paint"/> and <see cref="NiftiWriter.Write"/>.</exception>
    public static void Write(string path, NiftiHeader reference, RegionImportance importance, IReadOnlyList<DecoderRegion> regions, VoxelMask decoderVoxels,
        VoxelOrder order)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(decoderVoxels);
        if (reference.Grid != decoderVoxels.Dimensions)
        {
            throw new ArgumentException($"the reference grid {reference.Grid} differs from the decoder's mask grid {decoderVoxels.Dimensions}", nameof(reference));
        }

        float[] volume = Paint(importance, regions, decoderVoxels, order);
        NiftiWriter.Write(path, reference, volume, 1, $"leave-one-region-out importance, {importance.TrialCount} trials");
    }
}
