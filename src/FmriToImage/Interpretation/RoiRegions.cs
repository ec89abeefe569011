using FmriToImage.Data;
using FmriToImage.Data.Atlas;

namespace FmriToImage.Interpretation;

/// <summary>
/// Maps ROIs of atlases to the decoder's voxel columns. The decoder's column j is the grid voxel
/// <c>decoderVoxels.Indices(order)[j]</c> (for NSD/MindEye bundles: the nsdgeneral mask in NumPy C order over (X, Y, Z),
/// as <see cref="VoxelMatrix"/> builds it); an ROI's region is every column whose grid voxel the ROI labels. ROI voxels
/// outside the decoder's mask have no column and so cannot be removed.
/// </summary>
internal static class RoiRegions
{
    /// <summary>One region per name in <paramref name="rois"/>, each looked up in the first atlas that names it.</summary>
    /// <exception cref="ArgumentException">No atlas, no ROI, the atlases' grid differs from the mask's, or an ROI has no
    /// voxel inside the decoder's mask.</exception>
    /// <exception cref="UnknownRoiException">A name is in none of the atlases.</exception>
    public static DecoderRegion[] FromAtlases(VoxelMask decoderVoxels, VoxelOrder order, IReadOnlyList<RoiAtlas> atlases, IReadOnlyList<string> rois)
    {
        ArgumentNullException.ThrowIfNull(decoderVoxels);
        ArgumentNullException.ThrowIfNull(atlases);
        ArgumentNullException.ThrowIfNull(rois);
        if (rois.Count == 0)
        {
            throw new ArgumentException("no ROI names given", nameof(rois));
        }

        CheckGrids(decoderVoxels, atlases);
        int[] grid = decoderVoxels.Indices(order);
        var regions = new DecoderRegion[rois.Count];
        for (int r = 0; r < rois.Count; r++)
        {
            VoxelMask roi = RoiAtlas.Union(atlases, [rois[r]]);
            var columns = new List<int>();
            for (int j = 0; j < grid.Length; j++)
            {
                if (roi.Contains(grid[j]))
                {
                    columns.Add(j);
                }
            }

            if (columns.Count == 0)
            {
                throw new ArgumentException($"ROI '{rois[r]}' ({roi.Count} voxels) has no voxel inside the decoder's voxel mask ({decoderVoxels.Count} voxels)", nameof(rois));
            }

            regions[r] = new DecoderRegion(rois[r], columns.ToArray());
        }

        return regions;
    }

    /// <summary>
    /// One region per ROI of <paramref name="atlases"/> (<see cref="RoiAtlas.RoiNames"/>, first atlas first; a name an earlier
    /// atlas already gave is skipped) that has at least one voxel inside the decoder's mask; ROIs with none are left out.
    /// </summary>
    /// <exception cref="ArgumentException">No atlas, the atlases' grid differs from the mask's, or no ROI has a voxel inside the mask.</exception>
    public static DecoderRegion[] AllFromAtlases(VoxelMask decoderVoxels, VoxelOrder order, IReadOnlyList<RoiAtlas> atlases)
    {
        ArgumentNullException.ThrowIfNull(decoderVoxels);
        ArgumentNullException.ThrowIfNull(atlases);
        if (atlases.Count == 0)
        {
            throw new ArgumentException("no ROI atlas given", nameof(atlases));
        }

        CheckGrids(decoderVoxels, atlases);
        var names = atlases.SelectMany(a => a.RoiNames).Distinct(StringComparer.Ordinal).ToArray();
        var inside = names.Where(n => RoiAtlas.Union(atlases, [n]).Indices(VoxelOrder.OnDisk).Any(decoderVoxels.Contains)).ToArray();
        return inside.Length > 0
            ? FromAtlases(decoderVoxels, order, atlases, inside)
            : throw new ArgumentException($"none of the {names.Length} ROIs of {string.Join(", ", atlases.Select(a => a.Name))} has a voxel inside the decoder's voxel mask", nameof(atlases));
    }

    private static void CheckGrids(VoxelMask decoderVoxels, IReadOnlyList<RoiAtlas> atlases)
    {
        foreach (RoiAtlas atlas in atlases)
        {
            ArgumentNullException.ThrowIfNull(atlas, nameof(atlases));
            if (atlas.Dimensions != decoderVoxels.Dimensions)
            {
                throw new ArgumentException($"atlas '{atlas.Name}' has grid {atlas.Dimensions}; the decoder's voxel mask has {decoderVoxels.Dimensions}", nameof(atlases));
            }
        }
    }
}
