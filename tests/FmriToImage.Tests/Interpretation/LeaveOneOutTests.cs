using FmriToImage.Interpretation;

namespace FmriToImage.Tests.Interpretation;

/// <summary>
/// Leave-one-region-out on a linear stand-in encoder whose importances are worked out here in float64 by hand:
/// embedding(x) = (x0 + x1, x2 + x3, x4 + 1).
/// </summary>
public class LeaveOneOutTests
{
    private static readonly DecoderRegion[] Regions = [new("a", [0]), new("bc", [1, 2]), new("e", [4])];

    private static float[] Linear(ReadOnlySpan<float> rows, int count, CancellationToken cancellationToken)
    {
        var result = new float[count * 3];
        for (int r = 0; r < count; r++)
        {
            ReadOnlySpan<float> x = rows.Slice(r * 5, 5);
            result[(r * 3) + 0] = x[0] + x[1];
            result[(r * 3) + 1] = x[2] + x[3];
            result[(r * 3) + 2] = x[4] + 1;
        }

        return result;
    }

    private static double Importance(double[] original, double[] perturbed)
    {
        double dot = 0, a = 0, b = 0;
        for (int i = 0; i < 3; i++)
        {
            dot += original[i] * perturbed[i];
            a += original[i] * original[i];
            b += perturbed[i] * perturbed[i];
        }

        return 1 - (dot / Math.Sqrt(a * b));
    }

    [Fact]
    public void Importance_is_one_minus_cosine_to_the_unchanged_embedding_per_trial_and_averaged()
    {
        float[] trials = [1, 2, 3, 4, 5, /* trial 2 */ -1, 0.5f, 2, 0, 1];
        var calls = new List<int>();
        var progress = new List<int>();
        RegionImportance result = LeaveOneOut.Compute(trials, 2, 5, Regions, (rows, count, ct) =>
        {
            calls.Add(count);
            return Linear(rows, count, ct);
        }, progress: new InlineProgress<int>(progress.Add));

        // Trial 1: original (3, 7, 6); without a: (2, 7, 6); without b,c: (1, 4, 6); without e: (3, 7, 1).
        // Trial 2: original (-0.5, 2, 2); without a: (0.5, 2, 2); without b,c: (-1, 0, 2); without e: (-0.5, 2, 1).
        double[][] expected =
        [
            [Importance([3, 7, 6], [2, 7, 6]), Importance([3, 7, 6], [1, 4, 6]), Importance([3, 7, 6], [3, 7, 1])],
            [Importance([-0.5, 2, 2], [0.5, 2, 2]), Importance([-0.5, 2, 2], [-1, 0, 2]), Importance([-0.5, 2, 2], [-0.5, 2, 1])],
        ];
        Assert.Equal(["a", "bc", "e"], result.Regions);
        Assert.Equal(2, result.TrialCount);
        for (int t = 0; t < 2; t++)
        {
            for (int r = 0; r < 3; r++)
            {
                Assert.Equal(expected[t][r], result.Trial(t)[r], 5);
            }
        }

        for (int r = 0; r < 3; r++)
        {
            Assert.Equal((expected[0][r] + expected[1][r]) / 2, result.Mean[r], 5);
        }

        Assert.Equal([4, 4], calls);
        Assert.Equal([1, 2], progress);
        Assert.Equal(["bc", "e", "a"], result.Ranking());
    }

    [Fact]
    public void Removed_voxels_take_the_given_training_means_instead_of_zero()
    {
        // Raw voxels standardized by the library: removing a region sets it to its training mean (0 after z-scoring).
        float[] trials = [1, 2, 3, 4, 5];
        float[] means = [10, 20, 30, 40, 50];
        RegionImportance result = LeaveOneOut.Compute(trials, 1, 5, Regions, Linear, means);

        // Original (3, 7, 6); a at 10: (12, 7, 6); b, c at 20, 30: (21, 34, 6); e at 50: (3, 7, 51).
        double[] expected = [Importance([3, 7, 6], [12, 7, 6]), Importance([3, 7, 6], [21, 34, 6]), Importance([3, 7, 6], [3, 7, 51])];
        for (int r = 0; r < 3; r++)
        {
            Assert.Equal(expected[r], result.Trial(0)[r], 6);
        }
    }

    [Fact]
    public void Arguments_are_checked_before_the_encoder_runs()
    {
        float[] trials = new float[10];
        int runs = 0;
        float[] Counting(ReadOnlySpan<float> rows, int count, CancellationToken ct)
        {
            runs++;
            return Linear(rows, count, ct);
        }

        Assert.Throws<ArgumentException>(() => LeaveOneOut.Compute(trials, 2, 5, [], Counting));
        Assert.Contains("'x' has no voxel columns", Assert.Throws<ArgumentException>(() => LeaveOneOut.Compute(trials, 2, 5, [new("x", [])], Counting)).Message);
        Assert.Contains("column 5", Assert.Throws<ArgumentException>(() => LeaveOneOut.Compute(trials, 2, 5, [new("x", [5])], Counting)).Message);
        Assert.Contains("twice", Assert.Throws<ArgumentException>(() => LeaveOneOut.Compute(trials, 2, 5, [new("x", [1, 1])], Counting)).Message);
        Assert.Throws<ArgumentException>(() => LeaveOneOut.Compute(trials, 3, 5, Regions, Counting));
        Assert.Throws<ArgumentOutOfRangeException>(() => LeaveOneOut.Compute([], 0, 5, Regions, Counting));
        Assert.Contains("4 removed values", Assert.Throws<ArgumentException>(() => LeaveOneOut.Compute(trials, 2, 5, Regions, Counting, new float[4])).Message);
        Assert.Equal(0, runs);
    }

    [Fact]
    public void Cancellation_stops_between_trials()
    {
        using var cancel = new CancellationTokenSource();
        int runs = 0;
        Assert.Throws<OperationCanceledException>(() => LeaveOneOut.Compute(new float[15], 3, 5, Regions, (rows, count, ct) =>
        {
            runs++;
            cancel.Cancel();
            return Linear(rows, count, ct);
        }, cancellationToken: cancel.Token));
        Assert.Equal(1, runs);
    }

    [Fact]
    public void An_encoder_output_that_does_not_split_into_rows_is_an_error()
    {
        Assert.Throws<InvalidOperationException>(() => LeaveOneOut.Compute(new float[5], 1, 5, Regions, (rows, count, ct) => new float[7]));
    }
}
