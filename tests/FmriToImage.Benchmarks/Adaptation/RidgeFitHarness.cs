using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using FmriToImage.Adaptation;
using FmriToImage.Benchmarks.Harness;
using FmriToImage.Data;

namespace FmriToImage.Benchmarks.Adaptation;

/// <summary>
/// The cost of <see cref="SubjectAdapter.Fit"/> at MindEye2's size: <c>ridge [--trials 750] [--voxels 15724]
/// [--dimension 1024] [--lambdas 17] [--folds 5] [--threads N]</c> fits synthetic seeded trials (a few latent
/// features plus noise, z-scored-like) and prints each stage's wall time, the peak working set and the managed heap.
/// Run once per size (the peak is per process). docs/adaptation.md has the numbers.
/// </summary>
internal static class RidgeFitHarness
{
    public static int Run(HarnessArguments args)
    {
        var n = args.Integer("trials", 750);
        var v = args.Integer("voxels", 15_724);
        var d = args.Integer("dimension", 1024);
        var lambdaCount = args.Integer("lambdas", 17);
        var folds = args.Integer("folds", 5);
        var threads = args.Integer("threads", Environment.ProcessorCount);
        args.RejectUnknown();

        var (trials, targets) = Synthetic(n, v, d);
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var before = process.WorkingSet64;
        Console.WriteLine(Invariant($"{n} trials × {v} voxels → {d} dimensions, {lambdaCount} λ, {folds} folds, {threads} threads; inputs {(trials.Values.Length + targets.Length) * 4 / 1048576.0:F1} MiB, working set before the fit {before / 1048576.0:F1} MiB"));

        var clock = Stopwatch.StartNew();
        var stageEnds = new Dictionary<SubjectAdapterStage, double>();
        var progress = new Progress(p =>
        {
            lock (stageEnds)
            {
                stageEnds[p.Stage] = clock.Elapsed.TotalSeconds;
            }
        });
        var options = new SubjectAdapterOptions
        {
            Lambdas = [.. SubjectAdapterOptions.DefaultLambdas.Take(lambdaCount)],
            Folds = folds,
            MaxDegreeOfParallelism = threads,
        };
        var fit = SubjectAdapter.Fit(trials, targets, d, options, progress);
        var total = clock.Elapsed.TotalSeconds;
        process.Refresh();

        var previous = 0.0;
        foreach (var stage in Enum.GetValues<SubjectAdapterStage>())
        {
            var end = stageEnds.GetValueOrDefault(stage, previous);
            Console.WriteLine(Invariant($"  {stage,-16} {end - previous,7:F2} s"));
            previous = end;
        }

        Console.WriteLine(Invariant($"  total            {total,7:F2} s; chosen λ {fit.Lambda:G3}, best CV r {fit.CrossValidation.Max(s => s.MeanCorrelation):F3}"));
        Console.WriteLine(Invariant($"  peak working set {process.PeakWorkingSet64 / 1048576.0:F1} MiB ({(process.PeakWorkingSet64 - before) / 1048576.0:F1} MiB above the inputs), W {fit.Weights.Length * 4 / 1048576.0:F1} MiB, GC heap after {GC.GetTotalMemory(false) / 1048576.0:F1} MiB"));
        return 0;
    }

    /// <summary>Voxels (unit-variance noise plus a weak share of 32 latent features) and targets (the latent features plus noise); seeded.</summary>
    private static (VoxelMatrix Trials, float[] Targets) Synthetic(int n, int v, int d)
    {
        const int latent = 32;
        var random = new Random(19);
        var z = Gaussian(random, n * latent);
        var loadings = Gaussian(random, latent * v);
        var readout = Gaussian(random, latent * d);
        var x = new float[(long)n * v];
        var y = new float[(long)n * d];
        for (var i = 0; i < n; i++)
        {
            var row = x.AsSpan(i * v, v);
            var target = y.AsSpan(i * d, d);
            for (var k = 0; k < v; k++)
            {
                row[k] = ((float)random.NextDouble() - 0.5f) * 3.4641f;
            }

            for (var k = 0; k < d; k++)
            {
                target[k] = ((float)random.NextDouble() - 0.5f) * 3.4641f;
            }

            for (var f = 0; f < latent; f++)
            {
                var zf = z[(i * latent) + f];
                TensorPrimitives.MultiplyAdd(loadings.AsSpan(f * v, v), zf * 0.05f, row, row);
                TensorPrimitives.MultiplyAdd(readout.AsSpan(f * d, d), zf * 0.2f, target, target);
            }
        }

        return (new VoxelMatrix(x, n, v), y);
    }

    private static float[] Gaussian(Random random, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        return values;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed class Progress(Action<(SubjectAdapterStage Stage, int Done, int Total)> report) : IProgress<(SubjectAdapterStage Stage, int Done, int Total)>
    {
        public void Report((SubjectAdapterStage Stage, int Done, int Total) value) => report(value);
    }
}
