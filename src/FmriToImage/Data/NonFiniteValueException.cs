namespace FmriToImage.Data;

/// <summary>A NaN or infinity was found where finite activity values are required; names the trial (row) and voxel (column).</summary>
public sealed class NonFiniteValueException : FmriToImageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="trial">The row.</param>
    /// <param name="voxel">The column.</param>
    /// <param name="value">The value found.</param>
    public NonFiniteValueException(int trial, int voxel, float value)
        : base($"trial {trial}, voxel {voxel} holds {value}; pass NonFiniteHandling.ReplaceWithZero to replace non-finite values")
    {
        Trial = trial;
        Voxel = voxel;
    }

    /// <summary>The row of the value.</summary>
    public int Trial { get; }

    /// <summary>The column of the value.</summary>
    public int Voxel { get; }
}
