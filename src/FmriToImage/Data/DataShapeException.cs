namespace FmriToImage.Data;

/// <summary>
/// A data file reads correctly but its array does not have the shape its use needs: a .npy of rank 3 where trials ×
/// voxels is expected, betas volumes on another grid than the bundle's mask, too few trials to z-score. Names the
/// file, the shape expected and the shape found. (A matrix whose only fault is its width raises
/// <see cref="VoxelCountMismatchException"/> instead.)
/// </summary>
public sealed class DataShapeException : FmriToImageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The file concerned.</param>
    /// <param name="expected">The shape expected, in words, e.g. "(trials, voxels)".</param>
    /// <param name="actual">The shape found, e.g. "(4, 5, 6)".</param>
    /// <param name="detail">What to do about it, or null.</param>
    public DataShapeException(string filePath, string expected, string actual, string? detail = null)
        : base($"{filePath}: expected {expected}, found {actual}{(detail is null ? "." : $"; {detail}")}")
    {
        FilePath = filePath;
        Expected = expected;
        Actual = actual;
    }

    /// <summary>The file concerned.</summary>
    public string FilePath { get; }

    /// <summary>The shape expected, in words.</summary>
    public string Expected { get; }

    /// <summary>The shape found.</summary>
    public string Actual { get; }
}
