using FmriToImage.Data;

namespace FmriToImage.Tests.Data;

/// <summary>Z-scoring against NumPy (make_atlas_fixtures.py: per-session ddof 0; training-set fit ddof 1).</summary>
public class StandardizerTests
{
    private static void AssertClose(float[] expected, ReadOnlySpan<float> actual)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4f * Math.Max(1, Math.Abs(expected[i])), $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    [Fact]
    public void Per_session_zscore()
    {
        var m = VoxelMatrixTests.Set1FromHdf5();
        Standardizer.ZScoreBySession(m, Enumerable.Range(0, 750).Select(t => t / 250).ToArray());
        AssertClose(VoxelMatrixTests.Reference("zscore_by_session"), m.Values);
    }

    [Fact]
    public void Fit_on_training_trials_apply_to_all()
    {
        var m = VoxelMatrixTests.Set1FromHdf5();
        var train = Enumerable.Range(0, 750).Where(t => t % 5 != 0).ToArray();
        var s = Standardizer.Fit(m, train, ddof: 1);
        s.Apply(m);
        AssertClose(VoxelMatrixTests.Reference("zscore_train_fit"), m.Values);
    }

    [Fact]
    public void Non_finite_values_are_rejected_with_trial_and_voxel_or_replaced()
    {
        var m = new VoxelMatrix([1, 2, 3, float.NaN, 5, 6], 2, 3);
        var ex = Assert.Throws<NonFiniteValueException>(() => Standardizer.Fit(m));
        Assert.Equal(1, ex.Trial);
        Assert.Equal(0, ex.Voxel);
        var s = Standardizer.Fit(m, nonFinite: NonFiniteHandling.ReplaceWithZero);
        Assert.Equal([0.5, 3.5, 4.5], s.Mean);
        Assert.Throws<ArgumentException>(() => s.Apply(new VoxelMatrix(new float[4], 2, 2)));
    }

    [Fact]
    public void Constant_voxels_become_zero()
    {
        var m = new VoxelMatrix([2, 1, 2, 3], 2, 2);
        Standardizer.Fit(m).Apply(m);
        Assert.Equal([0f, -1f, 0f, 1f], m.Values.ToArray());
    }
}
