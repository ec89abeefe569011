namespace FmriToImage.Data;

/// <summary>The order in which the voxels of a mask become the columns of a <see cref="VoxelMatrix"/>.</summary>
public enum VoxelOrder
{
    /// <summary>
    /// NumPy C order over (X, Y, Z) — x outermost, z fastest — as Python pipelines list masked voxels
    /// (<c>betas[mask &gt; 0]</c> on nibabel (X, Y, Z) arrays, <c>reshape(n, -1)[:, mask.flatten()]</c>). The default,
    /// so that voxel vectors and weights exported from those pipelines line up.
    /// </summary>
    NumpyXyz,

    /// <summary>NIfTI on-disk order (x fastest), which is also C order over the (Z, Y, X) of an NSD HDF5 file.</summary>
    OnDisk,
}
