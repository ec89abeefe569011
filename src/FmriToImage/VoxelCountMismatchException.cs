namespace FmriToImage;

/// <summary>
/// Voxel data does not have the number of voxels a model or bundle was trained on (another subject, another mask, or
/// trials × voxels transposed). Names the data, the expected and the actual count.
/// </summary>
public sealed class VoxelCountMismatchException : FmriToImageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="what">The data or model concerned, e.g. "voxel encoder 'lowlevel_set1'".</param>
    /// <param name="expected">The voxel count expected.</param>
    /// <param name="actual">The voxel count found.</param>
    /// <param name="detail">More context (subject, mask), or null.</param>
    public VoxelCountMismatchException(string what, long expected, long actual, string? detail = null)
        : base($"{what} expects {expected} voxels per trial but got {actual}{(detail is null ? "." : $" ({detail}).")}")
    {
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The voxel count expected.</summary>
    public long Expected { get; }

    /// <summary>The voxel count found.</summary>
    public long Actual { get; }
}
