using FmriToImage.Data;

namespace FmriToImage.Benchmarks.Harness;

/// <summary>The harnesses' stand-in trials: voxel values drawn uniformly from [−1, 1) by a seeded generator.</summary>
internal static class SeededVoxels
{
    /// <summary><paramref name="trials"/> × <paramref name="count"/> values from <see cref="Random"/>(<paramref name="seed"/>), row by row.</summary>
    public static VoxelMatrix Uniform(int trials, int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[trials * count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1);
        }

        return new VoxelMatrix(values, trials, count);
    }
}
