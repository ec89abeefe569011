using System.Numerics.Tensors;
using FmriToImage.Data;

namespace FmriToImage.Adaptation;

/// <summary>
/// The primal map from the dual solution: W = Xcᵀ·α (V × D), W[v, :] = Σ_i (x_i[v] − m[v])·α_i, accumulated in
/// float64 over blocks of <see cref="BlockVoxels"/> voxels (one block's accumulator per thread: BlockVoxels × D
/// doubles, 256 KiB at D = 1024) and rounded to float32 once, straight into W's rows.
/// </summary>
internal static class DualWeights
{
    /// <summary>Voxels per block: small enough that the block's float64 accumulator stays in a core's cache.</summary>
    public const int BlockVoxels = 32;

    public static float[] Compute(VoxelMatrix trials, ReadOnlySpan<double> means, double[] alpha, int dimension,
        ParallelOptions parallel, IProgress<(SubjectAdapterStage Stage, int Done, int Total)>? progress)
    {
        int n = trials.TrialCount, v = trials.VoxelCount;
        var weights = new float[(long)v * dimension];
        var meanCopy = means.ToArray();
        var blocks = (v + BlockVoxels - 1) / BlockVoxels;
        var done = 0;
        Parallel.For(0, blocks, parallel, () => new double[BlockVoxels * dimension], (block, _, accumulator) =>
        {
            var first = block * BlockVoxels;
            var count = Math.Min(BlockVoxels, v - first);
            var acc = accumulator.AsSpan(0, count * dimension);
            acc.Clear();
            for (var i = 0; i < n; i++)
            {
                var row = trials.Row(i).Slice(first, count);
                var alphaRow = alpha.AsSpan(i * dimension, dimension);
                for (var k = 0; k < count; k++)
                {
                    var centred = row[k] - meanCopy[first + k];
                    var target = acc.Slice(k * dimension, dimension);
                    TensorPrimitives.MultiplyAdd<double>(alphaRow, centred, target, target);
                }
            }

            var destination = weights.AsSpan(first * dimension, count * dimension);
            for (var k = 0; k < destination.Length; k++)
            {
                destination[k] = (float)acc[k];
            }

            var finished = Interlocked.Add(ref done, count);
            progress?.Report((SubjectAdapterStage.Weights, finished, v));
            return accumulator;
        }, _ => { });
        return weights;
    }
}
