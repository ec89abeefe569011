using System.Text.Json;
using FmriToImage.Adaptation;
using FmriToImage.Data;
using FmriToImage.Data.Npy;

namespace FmriToImage.Tests.Adaptation;

/// <summary>
/// <see cref="SubjectAdapter.Fit"/> against tests/fixtures/ridge/make_ridge_reference.py: float64 NumPy, each fold
/// centred explicitly and solved with numpy.linalg.solve (the final W also checked against the primal solution), on
/// 60 trials × 500 voxels → 16 dimensions, 5 contiguous folds, λ = 10^0 … 10^6 in half decades.
/// </summary>
public sealed class SubjectAdapterTests
{
    private const int Dimension = 16;

    [Fact]
    public void Fit_matches_the_float64_numpy_reference()
    {
        var (trials, targets) = Fixture();
        var expected = JsonDocument.Parse(File.ReadAllText(TestFiles.Fixture("ridge", "expected.json"))).RootElement;
        var lambdas = expected.GetProperty("lambdas").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var scores = expected.GetProperty("scores").EnumerateArray().Select(e => e.GetDouble()).ToArray();

        var fit = SubjectAdapter.Fit(trials, targets, Dimension, new SubjectAdapterOptions { Lambdas = lambdas, Folds = expected.GetProperty("folds").GetInt32() });

        // Both sides are float64 with other summation orders; K + λI has condition number ≤ ~10^4 on this grid, so
        // scores (correlations of order 1) agree to ~1e-12. 1e-9 leaves room and still catches any protocol change
        // (a fold boundary moved by one trial changes the scores in the 3rd-4th decimal).
        Assert.Equal(expected.GetProperty("lambda").GetDouble(), fit.Lambda);
        Assert.Equal(lambdas, fit.CrossValidation.Select(s => s.Lambda));
        for (var l = 0; l < scores.Length; l++)
        {
            Assert.True(Math.Abs(scores[l] - fit.CrossValidation[l].MeanCorrelation) < 1e-9, $"λ = {lambdas[l]}: score {fit.CrossValidation[l].MeanCorrelation:R}, reference {scores[l]:R}");
        }

        // W and b are rounded to float32 once: each value within half a float32 ulp of the float64 reference
        // (relative 2^-24 ≈ 6e-8) plus the float64 solve's error; 1e-6 of the largest |W| (or |b|) bounds both (measured:
        // largest |ΔW| 7.3e-10 = 4.2e-8 of max |W|, i.e. the float32 rounding alone).
        AssertClose(NpyFile.Read<double>(TestFiles.Fixture("ridge", "weights.npy")).ToArray(), fit.Weights.Span, 1e-6, "W");
        AssertClose(NpyFile.Read<double>(TestFiles.Fixture("ridge", "bias.npy")).ToArray(), fit.Bias.Span, 1e-6, "b");
        Assert.Equal(500, fit.VoxelCount);
        Assert.Equal(Dimension, fit.TargetDimension);
    }

    [Fact]
    public void Apply_is_x_times_w_plus_b()
    {
        var (trials, targets) = Fixture();
        var fit = SubjectAdapter.Fit(trials, targets, Dimension, new SubjectAdapterOptions { Lambdas = [100.0] });
        var output = new float[Dimension];
        fit.Apply(trials.Row(3), output);
        var w = fit.Weights.Span;
        for (var d = 0; d < Dimension; d++)
        {
            double expected = fit.Bias.Span[d];
            for (var v = 0; v < fit.VoxelCount; v++)
            {
                expected += trials.Row(3)[v] * (double)w[(v * Dimension) + d];
            }

            Assert.Equal(expected, output[d], 1e-4);
        }

        Assert.Throws<VoxelCountMismatchException>(() => fit.Apply(new float[499], output));
    }

    [Fact]
    public void One_thread_and_all_threads_give_the_same_bits()
    {
        var (trials, targets) = Fixture();
        var options = new SubjectAdapterOptions { Lambdas = [10.0, 1000.0] };
        var serial = SubjectAdapter.Fit(trials, targets, Dimension, options with { MaxDegreeOfParallelism = 1 });
        var parallel = SubjectAdapter.Fit(trials, targets, Dimension, options);
        Assert.True(serial.Weights.Span.SequenceEqual(parallel.Weights.Span));
        Assert.True(serial.Bias.Span.SequenceEqual(parallel.Bias.Span));
        Assert.Equal(serial.CrossValidation, parallel.CrossValidation);
    }

    [Fact]
    public void Ties_go_to_the_larger_lambda()
    {
        // Constant targets: every prediction is constant, every score 0.
        var (trials, _) = Fixture();
        var targets = Enumerable.Repeat(1.5f, trials.TrialCount * Dimension).ToArray();
        var fit = SubjectAdapter.Fit(trials, targets, Dimension, new SubjectAdapterOptions { Lambdas = [10.0, 1e4, 100.0] });
        Assert.All(fit.CrossValidation, s => Assert.Equal(0, s.MeanCorrelation));
        Assert.Equal(1e4, fit.Lambda);
    }

    [Fact]
    public void Progress_reaches_the_end_of_every_stage()
    {
        var (trials, targets) = Fixture();
        var last = new Dictionary<SubjectAdapterStage, (SubjectAdapterStage Stage, int Done, int Total)>();
        var progress = new InlineProgress<(SubjectAdapterStage Stage, int Done, int Total)>(p =>
        {
            lock (last)
            {
                last[p.Stage] = last.TryGetValue(p.Stage, out var seen) && seen.Done > p.Done ? seen : p;
            }
        });
        SubjectAdapter.Fit(trials, targets, Dimension, new SubjectAdapterOptions { Lambdas = [1.0, 10.0, 100.0] }, progress);
        Assert.Equal((SubjectAdapterStage.Kernel, 60, 60), last[SubjectAdapterStage.Kernel]);
        Assert.Equal((SubjectAdapterStage.CrossValidation, 3, 3), last[SubjectAdapterStage.CrossValidation]);
        Assert.Equal((SubjectAdapterStage.Weights, 500, 500), last[SubjectAdapterStage.Weights]);
    }

    [Fact]
    public void A_cancelled_token_stops_the_fit()
    {
        var (trials, targets) = Fixture();
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => SubjectAdapter.Fit(trials, targets, Dimension, cancellationToken: cancellation.Token));
    }

    [Fact]
    public void Invalid_input_is_refused_naming_the_argument()
    {
        var (trials, targets) = Fixture();
        var wrongLength = Assert.Throws<ArgumentException>(() => SubjectAdapter.Fit(trials, targets.AsSpan(1), Dimension));
        Assert.Equal("targets", wrongLength.ParamName);
        Assert.Contains("959", wrongLength.Message, StringComparison.Ordinal);
        Assert.Contains("960", wrongLength.Message, StringComparison.Ordinal);

        var few = new VoxelMatrix(new float[4 * 3], 4, 3);
        var tooFew = Assert.Throws<ArgumentException>(() => SubjectAdapter.Fit(few, new float[4], 1));
        Assert.Equal("trials", tooFew.ParamName);
        Assert.Contains("4 trials", tooFew.Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentException>(() => SubjectAdapter.Fit(trials, targets, Dimension, new SubjectAdapterOptions { Lambdas = [1.0, 0.0] }));
        Assert.Throws<ArgumentException>(() => SubjectAdapter.Fit(trials, targets, Dimension, new SubjectAdapterOptions { Lambdas = [] }));
        Assert.Throws<ArgumentException>(() => SubjectAdapter.Fit(trials, targets, Dimension, new SubjectAdapterOptions { Folds = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => SubjectAdapter.Fit(trials, targets, 0));

        var badTargets = (float[])targets.Clone();
        badTargets[(7 * Dimension) + 2] = float.NaN;
        var nanTarget = Assert.Throws<ArgumentException>(() => SubjectAdapter.Fit(trials, badTargets, Dimension));
        Assert.Contains("targets[7, 2]", nanTarget.Message, StringComparison.Ordinal);

        trials.Row(5)[42] = float.PositiveInfinity;
        var infVoxel = Assert.Throws<NonFiniteValueException>(() => SubjectAdapter.Fit(trials, targets, Dimension));
        Assert.Equal((5, 42), (infVoxel.Trial, infVoxel.Voxel));
    }

    private static (VoxelMatrix Trials, float[] Targets) Fixture()
    {
        var x = NpyFile.Read<float>(TestFiles.Fixture("ridge", "trials.npy"));
        var y = NpyFile.Read<float>(TestFiles.Fixture("ridge", "targets.npy"));
        return (new VoxelMatrix(x.ToArray(), (int)x.Lengths[0], (int)x.Lengths[1]), y.ToArray());
    }

    private static void AssertClose(double[] expected, ReadOnlySpan<float> actual, double relative, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        var scale = expected.Max(Math.Abs);
        var worst = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            worst = Math.Max(worst, Math.Abs(expected[i] - actual[i]));
        }

        Assert.True(worst <= relative * scale, $"{what}: largest difference {worst:E3}, allowed {relative * scale:E3} (max |{what}| {scale:E3})");
    }
}
