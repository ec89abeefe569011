using FmriToImage.Data.Nifti;

namespace FmriToImage.Data;

/// <summary>
/// A boolean 3-D mask on a brain grid of X×Y×Z voxels, stored in on-disk order (flat index x + X·(y + Y·z)).
/// Build one from an atlas (<see cref="Atlas.RoiAtlas.Mask"/>) and combine with <see cref="Union"/>/<see cref="Intersect"/>.
/// </summary>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed class VoxelMask
{
    private readonly bool[] _inside;

    /// <summary>Creates a mask from a copy of on-disk-ordered flags (later changes to the array do not reach the mask).</summary>
    /// <param name="dimensions">(X, Y, Z).</param>
    /// <param name="inside">X·Y·Z flags, x fastest.</param>
    /// <exception cref="ArgumentException">The flag count differs from X·Y·Z.</exception>
    public VoxelMask((int X, int Y, int Z) dimensions, bool[] inside)
        : this(dimensions, (bool[])(inside ?? throw new ArgumentNullException(nameof(inside))).Clone(), owned: true)
    {
    }

    /// <summary>Takes <paramref name="inside"/> without copying; only for arrays no one else holds.</summary>
    internal VoxelMask((int X, int Y, int Z) dimensions, bool[] inside, bool owned)
    {
        _ = owned;
        ArgumentNullException.ThrowIfNull(inside);
        if ((long)dimensions.X * dimensions.Y * dimensions.Z != inside.Length)
        {
            throw new ArgumentException($"a {dimensions.X}×{dimensions.Y}×{dimensions.Z} grid needs {(long)dimensions.X * dimensions.Y * dimensions.Z} flags, got {inside.Length}", nameof(inside));
        }

        Dimensions = dimensions;
        _inside = inside;
        Count = inside.Count(b => b);
    }

    /// <summary>
    /// Reads a mask volume: the voxels of a 3-D NIfTI whose value is above 0 are inside (NSD's <c>nsdgeneral.nii.gz</c>
    /// and a bundle's <c>masks/nsdgeneral.nii.gz</c>: 1 inside, 0 outside, −1 outside the brain).
    /// </summary>
    /// <param name="path">A .nii or .nii.gz file with one volume.</param>
    /// <returns>The mask on the file's grid.</returns>
    /// <exception cref="MalformedFileException">The file is malformed.</exception>
    /// <exception cref="DataShapeException">The file holds more than one volume.</exception>
    public static VoxelMask FromNifti(string path)
    {
        using var reader = NiftiReader.Open(path);
        var header = reader.Header;
        if (header.VolumeCount != 1)
        {
            throw new DataShapeException(path, "one 3-D mask volume", $"dimensions ({string.Join(", ", header.Dimensions)})");
        }

        var values = new float[header.VoxelsPerVolume];
        reader.ReadVolume(0, values);
        var inside = new bool[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            inside[i] = values[i] > 0;
        }

        return new VoxelMask(header.Grid, inside, owned: true);
    }

    /// <summary>The grid size (X, Y, Z).</summary>
    public (int X, int Y, int Z) Dimensions { get; }

    /// <summary>The number of voxels inside the mask.</summary>
    public int Count { get; }

    /// <summary>Whether the voxel at on-disk flat index <paramref name="index"/> is inside.</summary>
    public bool Contains(int index) => _inside[index];

    /// <summary>The union of this mask and <paramref name="other"/> (same grid).</summary>
    /// <exception cref="ArgumentException">The grids differ.</exception>
    public VoxelMask Union(VoxelMask other) => Combine(other, (a, b) => a | b);

    /// <summary>The intersection of this mask and <paramref name="other"/> (same grid).</summary>
    /// <exception cref="ArgumentException">The grids differ.</exception>
    public VoxelMask Intersect(VoxelMask other) => Combine(other, (a, b) => a & b);

    /// <summary>
    /// The on-disk flat indices of the voxels inside, in <paramref name="order"/>: for <see cref="VoxelOrder.NumpyXyz"/>
    /// sorted by (x, y, z) with z fastest; for <see cref="VoxelOrder.OnDisk"/> ascending.
    /// </summary>
    public int[] Indices(VoxelOrder order = VoxelOrder.NumpyXyz)
    {
        var result = new int[Count];
        int n = 0;
        var (nx, ny, nz) = Dimensions;
        if (order == VoxelOrder.OnDisk)
        {
            for (int i = 0; i < _inside.Length; i++)
            {
                if (_inside[i])
                {
                    result[n++] = i;
                }
            }

            return result;
        }

        for (int x = 0; x < nx; x++)
        {
            for (int y = 0; y < ny; y++)
            {
                for (int z = 0; z < nz; z++)
                {
                    int i = x + (nx * (y + (ny * z)));
                    if (_inside[i])
                    {
                        result[n++] = i;
                    }
                }
            }
        }

        return result;
    }

    private VoxelMask Combine(VoxelMask other, Func<bool, bool, bool> op)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Dimensions != Dimensions)
        {
            throw new ArgumentException($"mask grids differ: {Dimensions} vs {other.Dimensions}", nameof(other));
        }

        var result = new bool[_inside.Length];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = op(_inside[i], other._inside[i]);
        }

        return new VoxelMask(Dimensions, result, owned: true);
    }
}
