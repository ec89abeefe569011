using System.Numerics.Tensors;
using FmriToImage.Data.Hdf5;
using FmriToImage.Data.Nifti;

namespace FmriToImage.Data;

/// <summary>
/// Trials × voxels of float32 activity — the input of every voxel encoder. Row <c>t</c> is trial <c>t</c>; column
/// <c>v</c> is the voxel at on-disk flat index <see cref="VoxelIndices"/>[v] (x + X·(y + Y·z)), columns ordered as the
/// <see cref="VoxelOrder"/> used to build the matrix (by default NumPy C order over (X, Y, Z), matching the Python
/// pipelines' <c>betas[mask &gt; 0]</c>).
/// </summary>
/// <remarks>Not thread-safe for writes; concurrent reads of rows are safe.</remarks>
public sealed class VoxelMatrix
{
    private readonly float[] _data;

    /// <summary>Wraps row-major <paramref name="data"/> of <paramref name="trials"/> × <paramref name="voxels"/>.</summary>
    /// <param name="data">trials·voxels values, row-major (not copied).</param>
    /// <param name="trials">Row count.</param>
    /// <param name="voxels">Column count.</param>
    /// <param name="voxelIndices">On-disk flat index of each column, or null when unknown.</param>
    /// <exception cref="ArgumentException">Sizes disagree.</exception>
    public VoxelMatrix(float[] data, int trials, int voxels, int[]? voxelIndices = null)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(trials);
        ArgumentOutOfRangeException.ThrowIfNegative(voxels);
        if ((long)trials * voxels != data.Length)
        {
            throw new ArgumentException($"{trials} trials × {voxels} voxels need {(long)trials * voxels} values, got {data.Length}", nameof(data));
        }

        if (voxelIndices is not null && voxelIndices.Length != voxels)
        {
            throw new ArgumentException($"{voxelIndices.Length} voxel indices for {voxels} columns", nameof(voxelIndices));
        }

        _data = data;
        TrialCount = trials;
        VoxelCount = voxels;
        VoxelIndices = voxelIndices ?? [];
    }

    /// <summary>The number of rows (trials).</summary>
    public int TrialCount { get; }

    /// <summary>The number of columns (voxels).</summary>
    public int VoxelCount { get; }

    /// <summary>The on-disk flat index of each column (empty when unknown).</summary>
    public IReadOnlyList<int> VoxelIndices { get; }

    /// <summary>All values, row-major.</summary>
    public Span<float> Values => _data;

    /// <summary>Row <paramref name="trial"/> (a view, not a copy).</summary>
    public Span<float> Row(int trial) => _data.AsSpan(checked(trial * VoxelCount), VoxelCount);

    /// <summary>Checks that every value of <paramref name="rows"/> (all rows when null) is finite.</summary>
    /// <param name="handling">Reject: throw at the first NaN/∞; ReplaceWithZero: set them to 0 in place.</param>
    /// <param name="rows">The rows to check, or null for all.</param>
    /// <exception cref="NonFiniteValueException">A value is NaN/∞ and <paramref name="handling"/> is Reject (names the trial and voxel).</exception>
    /// <exception cref="ArgumentException"><paramref name="handling"/> is SkipTrial, which an in-place check cannot do (<see cref="TrialFile.ReadAsync"/> can).</exception>
    public void EnsureFinite(NonFiniteHandling handling = NonFiniteHandling.Reject, IReadOnlyList<int>? rows = null)
    {
        if (handling is not (NonFiniteHandling.Reject or NonFiniteHandling.ReplaceWithZero))
        {
            throw new ArgumentException($"{handling} cannot apply in place: a matrix keeps its rows (TrialFile.ReadAsync leaves trials out; or pick the finite rows with SelectRows).", nameof(handling));
        }

        int count = rows?.Count ?? TrialCount;
        for (int i = 0; i < count; i++)
        {
            int t = rows?[i] ?? i;
            Span<float> row = Row(t);
            if (TensorPrimitives.IsFiniteAll<float>(row))
            {
                continue;
            }

            for (int v = 0; v < row.Length; v++)
            {
                if (!float.IsFinite(row[v]))
                {
                    if (handling == NonFiniteHandling.Reject)
                    {
                        throw new NonFiniteValueException(t, v, row[v]);
                    }

                    row[v] = 0f;
                }
            }
        }
    }

    /// <summary>A copy as a tensor of shape [trials, voxels].</summary>
    public Tensor<float> ToTensor() => Tensor.Create((float[])_data.Clone(), [TrialCount, VoxelCount]);

    /// <summary>Copies the selected voxels of one on-disk-ordered volume into <paramref name="row"/> (zero where not kept).</summary>
    /// <param name="volume">A volume, x fastest.</param>
    /// <param name="indices">Flat indices of the columns.</param>
    /// <param name="kept">Per column, whether its value is kept (else 0).</param>
    /// <param name="row">The destination row, one value per column.</param>
    internal static void Gather(ReadOnlySpan<float> volume, ReadOnlySpan<int> indices, ReadOnlySpan<bool> kept, Span<float> row)
    {
        if (row.Length < indices.Length || kept.Length < indices.Length)
        {
            throw new ArgumentException($"row holds {row.Length} values and kept {kept.Length}; {indices.Length} columns");
        }

        for (int i = 0; i < indices.Length; i++)
        {
            row[i] = kept[i] ? volume[indices[i]] : 0f;
        }
    }

    /// <summary>
    /// Builds the matrix from a 4-D NIfTI (X, Y, Z, trials), reading one volume at a time.
    /// </summary>
    /// <param name="reader">An open reader of the betas.</param>
    /// <param name="selection">The voxels (grid must match the file's X, Y, Z).</param>
    /// <param name="order">Column order.</param>
    /// <param name="scale">Multiplies every value (NSD int16 betas: 1/300 for percent signal change).</param>
    /// <param name="progress">Receives the number of trials read.</param>
    /// <param name="cancellationToken">Checked between volumes.</param>
    /// <exception cref="ArgumentException">The grids differ.</exception>
    /// <exception cref="DataSizeLimitException">Trials × selected voxels exceed <see cref="ReadLimits.MaxValues"/>.</exception>
    public static Task<VoxelMatrix> FromNiftiAsync(NiftiReader reader, VoxelSelection selection, VoxelOrder order = VoxelOrder.NumpyXyz, float scale = 1f,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(reader);
        ArgumentNullException.ThrowIfNull(selection);
        var h = reader.Header;
        CheckGrid(selection, h.Grid, reader.FilePath);
        CheckSize(reader.FilePath, h.Dimensions, h.VolumeCount, selection.Columns.Count);
        return Task.Run(() =>
        {
            var (indices, kept) = selection.Resolve(order);
            int trials = (int)h.VolumeCount;
            var data = new float[(long)trials * indices.Length];
            var volume = new float[h.VoxelsPerVolume];
            for (int t = 0; t < trials; t++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                reader.ReadVolume(t, volume);
                Span<float> row = data.AsSpan(t * indices.Length, indices.Length);
                Gather(volume, indices, kept, row);
                if (scale != 1f)
                {
                    TensorPrimitives.Multiply(row, scale, row);
                }

                progress?.Report(t + 1);
            }

            return new VoxelMatrix(data, trials, indices.Length, indices);
        }, cancellationToken);
    }

    /// <summary>
    /// Builds the matrix from an HDF5 dataset shaped (trials, Z, Y, X) — NSD's <c>/betas</c>. When the chunks hold
    /// few voxels (NSD: (750,1,1,1)) each selected voxel's time series is read with one chunk-aligned hyperslab;
    /// otherwise the file is read one trial volume at a time.
    /// </summary>
    /// <param name="betas">The dataset.</param>
    /// <param name="selection">The voxels (grid (X, Y, Z) must match the dataset's last three dimensions reversed).</param>
    /// <param name="order">Column order.</param>
    /// <param name="scale">Multiplies every value (NSD: 1/300).</param>
    /// <param name="progress">Receives the number of voxels (per-voxel path) or trials (per-volume path) read.</param>
    /// <param name="cancellationToken">Checked between reads.</param>
    /// <exception cref="ArgumentException">The dataset is not 4-D or the grids differ.</exception>
    /// <exception cref="DataSizeLimitException">Trials × selected voxels exceed <see cref="ReadLimits.MaxValues"/> (checked from the declared shape before anything is read or allocated).</exception>
    public static Task<VoxelMatrix> FromHdf5Async(Hdf5Dataset betas, VoxelSelection selection, VoxelOrder order = VoxelOrder.NumpyXyz, float scale = 1f,
        IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(betas);
        ArgumentNullException.ThrowIfNull(selection);
        if (betas.Shape.Count != 4)
        {
            throw new ArgumentException($"{betas.Path} has shape ({string.Join(", ", betas.Shape)}); expected (trials, Z, Y, X)", nameof(betas));
        }

        var mask = selection.Columns.Dimensions;
        if (betas.Shape[3] != mask.X || betas.Shape[2] != mask.Y || betas.Shape[1] != mask.Z)
        {
            throw new ArgumentException($"{betas.Path} has grid ({betas.Shape[3]}, {betas.Shape[2]}, {betas.Shape[1]}), the mask {mask}", nameof(selection));
        }

        var grid = (X: (int)betas.Shape[3], Y: (int)betas.Shape[2], Z: (int)betas.Shape[1]);
        CheckSize($"{betas.FilePath}:{betas.Path}", betas.Shape, betas.Shape[0], selection.Columns.Count);
        return Task.Run(() => ReadHdf5(betas, selection, order, scale, grid, progress, cancellationToken), cancellationToken);
    }

    /// <summary>Synchronous form of <see cref="FromHdf5Async"/>.</summary>
    public static VoxelMatrix FromHdf5(Hdf5Dataset betas, VoxelSelection selection, VoxelOrder order = VoxelOrder.NumpyXyz, float scale = 1f) =>
        FromHdf5Async(betas, selection, order, scale).GetAwaiter().GetResult();

    /// <summary>Averages the rows that share a key (e.g. repetitions of the same image), keys in order of first appearance.</summary>
    /// <param name="keys">One key per row.</param>
    /// <param name="uniqueKeys">The key of each output row.</param>
    /// <exception cref="ArgumentException">The key count differs from the row count.</exception>
    public VoxelMatrix AverageRepetitions(IReadOnlyList<int> keys, out int[] uniqueKeys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        if (keys.Count != TrialCount)
        {
            throw new ArgumentException($"{keys.Count} keys for {TrialCount} trials", nameof(keys));
        }

        var slot = new Dictionary<int, int>();
        var order = new List<int>();
        foreach (int k in keys)
        {
            if (slot.TryAdd(k, order.Count))
            {
                order.Add(k);
            }
        }

        var sums = new float[(long)order.Count * VoxelCount];
        var counts = new int[order.Count];
        for (int t = 0; t < TrialCount; t++)
        {
            int s = slot[keys[t]];
            Span<float> target = sums.AsSpan(s * VoxelCount, VoxelCount);
            TensorPrimitives.Add(target, Row(t), target);
            counts[s]++;
        }

        for (int s = 0; s < order.Count; s++)
        {
            Span<float> target = sums.AsSpan(s * VoxelCount, VoxelCount);
            TensorPrimitives.Divide(target, counts[s], target);
        }

        uniqueKeys = [.. order];
        return new VoxelMatrix(sums, order.Count, VoxelCount, VoxelIndices.Count > 0 ? [.. VoxelIndices] : null);
    }

    /// <summary>A new matrix with the given rows, in the given order.</summary>
    public VoxelMatrix SelectRows(IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var data = new float[(long)rows.Count * VoxelCount];
        for (int i = 0; i < rows.Count; i++)
        {
            Row(rows[i]).CopyTo(data.AsSpan(i * VoxelCount, VoxelCount));
        }

        return new VoxelMatrix(data, rows.Count, VoxelCount, VoxelIndices.Count > 0 ? [.. VoxelIndices] : null);
    }

    private static VoxelMatrix ReadHdf5(Hdf5Dataset betas, VoxelSelection selection, VoxelOrder order, float scale, (int X, int Y, int Z) grid,
        IProgress<int>? progress, CancellationToken cancellationToken)
    {
        var (indices, kept) = selection.Resolve(order);
        int trials = (int)betas.Shape[0];
        int voxels = indices.Length;
        var data = new float[(long)trials * voxels];
        IReadOnlyList<long>? chunk = betas.ChunkShape;
        bool perVoxel = chunk is not null && chunk[1] * chunk[2] * chunk[3] <= 8;
        if (perVoxel)
        {
            var series = new float[trials];
            long[] start = new long[4], count = [trials, 1, 1, 1];
            for (int v = 0; v < voxels; v++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (kept[v])
                {
                    int i = indices[v];
                    start[3] = i % grid.X;
                    start[2] = i / grid.X % grid.Y;
                    start[1] = i / (grid.X * grid.Y);
                    betas.ReadHyperslab(start, count, [], series, cancellationToken);
                    for (int t = 0; t < trials; t++)
                    {
                        data[((long)t * voxels) + v] = series[t] * scale;
                    }
                }

                progress?.Report(v + 1);
            }
        }
        else
        {
            var volume = new float[(long)grid.X * grid.Y * grid.Z];
            for (int t = 0; t < trials; t++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                betas.ReadHyperslab([t, 0, 0, 0], [1, grid.Z, grid.Y, grid.X], [], volume, cancellationToken);
                Span<float> row = data.AsSpan(t * voxels, voxels);
                Gather(volume, indices, kept, row);
                TensorPrimitives.Multiply(row, scale, row);
                progress?.Report(t + 1);
            }
        }

        return new VoxelMatrix(data, trials, voxels, indices);
    }

    /// <summary>The matrix (trials × columns) must stay within the read limit; volumes are read one at a time, within it since the mask's grid is.</summary>
    private static void CheckSize(string source, IEnumerable<long> shape, long trials, int columns) =>
        ReadLimits.Check(source, shape, ReadLimits.Product(trials, columns), "read fewer trials (split the file by session)");

    private static void CheckGrid(VoxelSelection selection, (int X, int Y, int Z) grid, string source)
    {
        if (selection.Columns.Dimensions != grid)
        {
            throw new ArgumentException($"{source} has grid {grid}, the mask {selection.Columns.Dimensions}", nameof(selection));
        }
    }
}
