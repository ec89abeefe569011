using System.Numerics.Tensors;
using FmriToImage.Data;

namespace FmriToImage.Adaptation;

/// <summary>
/// The column means of the trials and the kernel G = Xc·Xcᵀ of the centred trials (n × n, float64), accumulated
/// from the float32 rows without ever forming a voxels × voxels matrix or a float64 copy of X. Held while it runs: the
/// means (V doubles), G (n² doubles), one tile of <see cref="TileRows"/> centred rows in float64 and one centred row per
/// thread (V doubles each).
/// </summary>
internal sealed class CenteredKernel
{
    /// <summary>Rows converted to float64 at a time; each is dotted with every earlier row while it is resident.</summary>
    public const int TileRows = 32;

    private CenteredKernel(double[] means, double[] gram, int trials)
    {
        Means = means;
        Gram = gram;
        Trials = trials;
    }

    /// <summary>The mean of each voxel over the trials.</summary>
    public double[] Means { get; }

    /// <summary>G[i, j] = (x_i − m)·(x_j − m), row-major n × n.</summary>
    public double[] Gram { get; }

    /// <summary>n.</summary>
    public int Trials { get; }

    public static CenteredKernel Build(VoxelMatrix trials, ParallelOptions parallel, IProgress<(SubjectAdapterStage Stage, int Done, int Total)>? progress)
    {
        int n = trials.TrialCount, v = trials.VoxelCount;
        var means = new double[v];
        for (var t = 0; t < n; t++)
        {
            var row = trials.Row(t);
            for (var k = 0; k < v; k++)
            {
                means[k] += row[k];
            }
        }

        TensorPrimitives.Divide<double>(means, n, means);
        var gram = new double[(long)n * n];
        var tile = new double[TileRows * v];
        for (var start = 0; start < n; start += TileRows)
        {
            parallel.CancellationToken.ThrowIfCancellationRequested();
            var end = Math.Min(n, start + TileRows);
            for (var i = start; i < end; i++)
            {
                Center(trials.Row(i), means, tile.AsSpan((i - start) * v, v));
            }

            var first = start;
            Parallel.For(0, end, parallel, () => new double[v], (j, _, row) =>
            {
                Center(trials.Row(j), means, row);
                for (var i = Math.Max(first, j); i < end; i++)
                {
                    var dot = TensorPrimitives.Dot<double>(tile.AsSpan((i - first) * v, v), row);
                    gram[((long)i * n) + j] = dot;
                    gram[((long)j * n) + i] = dot;
                }

                return row;
            }, _ => { });
            progress?.Report((SubjectAdapterStage.Kernel, end, n));
        }

        return new CenteredKernel(means, gram, n);
    }

    /// <summary><paramref name="destination"/> = <paramref name="row"/> − <paramref name="means"/>, in float64.</summary>
    public static void Center(ReadOnlySpan<float> row, ReadOnlySpan<double> means, Span<double> destination)
    {
        for (var k = 0; k < row.Length; k++)
        {
            destination[k] = row[k] - means[k];
        }
    }
}
