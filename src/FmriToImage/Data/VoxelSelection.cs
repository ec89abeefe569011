namespace FmriToImage.Data;

/// <summary>
/// Which voxels become the columns of a <see cref="VoxelMatrix"/> and which of them are zeroed: either every voxel of a
/// mask, or every voxel of an outer mask with those outside an inner mask set to 0.
/// </summary>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed class VoxelSelection
{
    private VoxelSelection(VoxelMask columns, VoxelMask? keep)
    {
        Columns = columns;
        Keep = keep;
    }

    /// <summary>The voxels that become columns.</summary>
    public VoxelMask Columns { get; }

    /// <summary>The columns that keep their values (null = all); the others are written as 0.</summary>
    public VoxelMask? Keep { get; }

    /// <summary>Every voxel of <paramref name="mask"/>.</summary>
    public static VoxelSelection All(VoxelMask mask) => new(mask ?? throw new ArgumentNullException(nameof(mask)), null);

    /// <summary>Every voxel of <paramref name="columns"/>, zero outside <paramref name="keep"/>.</summary>
    /// <exception cref="ArgumentException">The grids differ.</exception>
    public static VoxelSelection ZeroFill(VoxelMask columns, VoxelMask keep)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(keep);
        if (columns.Dimensions != keep.Dimensions)
        {
            throw new ArgumentException($"mask grids differ: {columns.Dimensions} vs {keep.Dimensions}", nameof(keep));
        }

        return new VoxelSelection(columns, keep);
    }

    /// <summary>The on-disk flat indices of the columns in <paramref name="order"/>, and for each whether it is kept.</summary>
    internal (int[] Indices, bool[] Kept) Resolve(VoxelOrder order)
    {
        int[] indices = Columns.Indices(order);
        var kept = new bool[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            kept[i] = Keep?.Contains(indices[i]) ?? true;
        }

        return (indices, kept);
    }
}
