namespace FmriToImage.Data;

/// <summary>What to do with NaN and infinite activity values (<see cref="Standardizer"/>, <see cref="VoxelMatrix.EnsureFinite"/>, <see cref="TrialFile.ReadAsync"/>).</summary>
public enum NonFiniteHandling
{
    /// <summary>Throw <see cref="NonFiniteValueException"/> naming the trial and voxel (the default).</summary>
    Reject,
    /// <summary>Replace them with 0 before computing statistics (what NSD-style loaders do with NaN).</summary>
    ReplaceWithZero,
    /// <summary>
    /// Leave out every trial (row) that holds one (MindEye2's renorm files hold NaN rows for trials never recorded).
    /// Only <see cref="TrialFile.ReadAsync"/> can leave trials out: it drops them before z-scoring and lists them in
    /// <see cref="TrialFileContents.SkippedTrials"/>. <see cref="VoxelMatrix.EnsureFinite"/> and <see cref="Standardizer"/>,
    /// which work in place, refuse it with <see cref="ArgumentException"/>.
    /// </summary>
    SkipTrial,
}
