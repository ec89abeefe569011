namespace FmriToImage.Data;

/// <summary>What <see cref="Standardizer"/> does with NaN and infinite inputs.</summary>
public enum NonFiniteHandling
{
    /// <summary>Throw <see cref="NonFiniteValueException"/> naming the trial and voxel (the default).</summary>
    Reject,
    /// <summary>Replace them with 0 before computing statistics (what NSD-style loaders do with NaN).</summary>
    ReplaceWithZero,
}
