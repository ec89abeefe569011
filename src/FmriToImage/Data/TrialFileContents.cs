namespace FmriToImage.Data;

/// <summary>The trials <see cref="TrialFile.ReadAsync"/> read from one file.</summary>
/// <param name="Voxels">One row per trial (the first <c>limit</c> trials of the file, less those skipped), columns in the decoder's voxel order.</param>
/// <param name="Layout">How the file was read.</param>
/// <param name="TrialsInFile">The number of trials the file holds (more than <see cref="VoxelMatrix.TrialCount"/> when a limit applied).</param>
public sealed record TrialFileContents(VoxelMatrix Voxels, TrialFileLayout Layout, long TrialsInFile)
{
    private readonly IReadOnlyList<int>? _trials;

    /// <summary>
    /// The file's trial (0-based row) of each row of <see cref="Voxels"/>: 0, 1, 2, … unless
    /// <see cref="NonFiniteHandling.SkipTrial"/> left some out.
    /// </summary>
    public IReadOnlyList<int> Trials
    {
        get => _trials ?? Enumerable.Range(0, Voxels.TrialCount).ToArray();
        init => _trials = value;
    }

    /// <summary>
    /// The file's trials, among the first <c>limit</c>, that <see cref="NonFiniteHandling.SkipTrial"/> left out because
    /// they hold a NaN or infinite value, in file order; empty otherwise.
    /// </summary>
    public IReadOnlyList<int> SkippedTrials { get; init; } = [];
}
