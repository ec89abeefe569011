namespace FmriToImage.Data.Atlas;

/// <summary>
/// A named set of ROIs (by NSD label names) and the two ways of applying it: select only its voxels
/// (<see cref="Select"/>), or keep every nsdgeneral voxel and zero those outside the set (<see cref="ZeroFillWithin"/>),
/// which is what the seed student study did.
/// </summary>
/// <param name="Name">The set name.</param>
/// <param name="Rois">NSD ROI label names.</param>
public sealed record RoiSet(string Name, IReadOnlyList<string> Rois)
{
    /// <summary>Early and ventral visual cortex: V1v V1d V2v V2d V3v V3d hV4 (prf-visualrois), FFA-1 FFA-2 (floc-faces), PPA (floc-places).</summary>
    public static RoiSet Set1 { get; } = new("Set1", ["V1v", "V1d", "V2v", "V2d", "V3v", "V3d", "hV4", "FFA-1", "FFA-2", "PPA"]);

    /// <summary>Category-selective ROIs: EBA FBA-1 FBA-2 mTL-bodies (floc-bodies), OFA FFA-1 FFA-2 mTL-faces aTL-faces (floc-faces), OPA PPA RSC (floc-places).</summary>
    public static RoiSet Set2 { get; } = new("Set2", ["EBA", "FBA-1", "FBA-2", "mTL-bodies", "OFA", "FFA-1", "FFA-2", "mTL-faces", "aTL-faces", "OPA", "PPA", "RSC"]);

    /// <summary>The visual streams: early midventral midlateral midparietal ventral lateral parietal (streams atlas).</summary>
    public static RoiSet Set3 { get; } = new("Set3", ["early", "midventral", "midlateral", "midparietal", "ventral", "lateral", "parietal"]);

    /// <summary>The voxels of the set's ROIs, looked up across <paramref name="atlases"/>.</summary>
    /// <exception cref="UnknownRoiException">A ROI of the set is in none of the atlases.</exception>
    public VoxelSelection Select(IReadOnlyList<RoiAtlas> atlases) => VoxelSelection.All(RoiAtlas.Union(atlases, Rois));

    /// <summary>Every voxel of <paramref name="within"/> (nsdgeneral), with those outside the set zeroed.</summary>
    /// <exception cref="UnknownRoiException">A ROI of the set is in none of the atlases.</exception>
    public VoxelSelection ZeroFillWithin(VoxelMask within, IReadOnlyList<RoiAtlas> atlases)
    {
        ArgumentNullException.ThrowIfNull(within);
        return VoxelSelection.ZeroFill(within, RoiAtlas.Union(atlases, Rois));
    }
}
