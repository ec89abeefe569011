using FmriToImage.Data;
using FmriToImage.Data.Nifti;

namespace FmriToImage.Interpretation;

/// <summary>
/// What <see cref="BrainDecoder.Explain"/> found: for each ROI, how much removing it (its voxels set to the training
/// mean, 0 for z-scored inputs) turns the brain's predicted image embedding away — 1 − cosine to the unchanged trial's
/// embedding; 0 = no change, larger = the ROI matters more — per trial and averaged over trials, and the map of those
/// values in the subject's voxel grid (the grid of the bundle's nsdgeneral mask), written as NIfTI for nibabel and
/// viewers. See docs/importance.md.
/// </summary>
public sealed class ImportanceMap
{
    private readonly RegionImportance _importance;
    private readonly IReadOnlyList<DecoderRegion> _regions;
    private readonly VoxelMask _decoderVoxels;
    private readonly NiftiHeader _grid;

    internal ImportanceMap(RegionImportance importance, IReadOnlyList<DecoderRegion> regions, VoxelMask decoderVoxels, NiftiHeader grid)
    {
        _importance = importance;
        _regions = regions;
        _decoderVoxels = decoderVoxels;
        _grid = grid;
        RegionVoxelCounts = regions.Select(r => r.Columns.Length).ToArray();
    }

    /// <summary>The ROI names (from the atlases' label tables), in the order of every per-ROI value here.</summary>
    public IReadOnlyList<string> Regions => _importance.Regions;

    /// <summary>How many of the decoder's voxels each ROI covers (its voxels inside the nsdgeneral mask), in <see cref="Regions"/> order.</summary>
    public IReadOnlyList<int> RegionVoxelCounts { get; }

    /// <summary>How many trials were explained.</summary>
    public int TrialCount => _importance.TrialCount;

    /// <summary>The importances averaged over the trials, one per ROI in <see cref="Regions"/> order.</summary>
    public IReadOnlyList<float> Mean => Array.AsReadOnly(_importance.Mean);

    /// <summary>The subject's voxel grid (X, Y, Z) of <see cref="Volume"/> and the written files.</summary>
    public (int X, int Y, int Z) Grid => _grid.Grid;

    /// <summary>Trial <paramref name="trial"/>'s importances (0-based, in the order the trials were given), one per ROI.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="trial"/> is outside 0 … <see cref="TrialCount"/> − 1.</exception>
    public ReadOnlySpan<float> Trial(int trial)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(trial);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(trial, TrialCount);
        return _importance.Trial(trial);
    }

    /// <summary>The ROI names ordered by mean importance, largest first (ties keep <see cref="Regions"/> order).</summary>
    public IReadOnlyList<string> Ranking() => _importance.Ranking();

    /// <summary>
    /// The map in the subject's grid, NIfTI order (x fastest, then y, z): every voxel of an ROI holds the ROI's importance
    /// (where ROIs overlap, the largest); voxels in no ROI hold 0.
    /// </summary>
    /// <param name="trial">A trial (0-based), or null for the mean over trials.</param>
    /// <returns>X·Y·Z floats.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="trial"/> is outside 0 … <see cref="TrialCount"/> − 1.</exception>
    public float[] Volume(int? trial = null) =>
        ImportanceVolume.Paint(_importance, _regions, _decoderVoxels, VoxelOrder.NumpyXyz, trial);

    /// <summary>
    /// Writes the trial-averaged map (one volume, float32) to <paramref name="path"/>, a <c>.nii.gz</c> or <c>.nii</c> file,
    /// in the grid of the bundle's nsdgeneral mask (its affines, voxel sizes and units), written whole or not at all.
    /// </summary>
    /// <param name="path">The file to write; its folder must exist.</param>
    /// <exception cref="ArgumentException">The path ends in neither <c>.nii.gz</c> nor <c>.nii</c>.</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void WriteNifti(string path) =>
        NiftiWriter.Write(path, _grid, Volume(), 1, $"leave-one-ROI-out importance, mean of {TrialCount} trials");

    /// <summary>
    /// Writes every trial's map as one 4-D float32 NIfTI (X × Y × Z × trials; volume t = <see cref="Volume"/>(t)) to
    /// <paramref name="path"/>, in the grid <see cref="WriteNifti"/> uses.
    /// </summary>
    /// <param name="path">The <c>.nii.gz</c> or <c>.nii</c> file to write; its folder must exist.</param>
    /// <remarks>Volumes are computed and written one at a time: memory holds one volume, whatever the trial count.</remarks>
    /// <exception cref="ArgumentException">The path ends in neither <c>.nii.gz</c> nor <c>.nii</c>, or there are more than
    /// 32,767 trials (NIfTI-1's limit on a dimension).</exception>
    /// <exception cref="IOException">The file cannot be written.</exception>
    public void WriteTrialsNifti(string path) =>
        NiftiWriter.WriteVolumes(path, _grid, TrialCount, t => Volume(t), $"leave-one-ROI-out importance, {TrialCount} trials");
}
