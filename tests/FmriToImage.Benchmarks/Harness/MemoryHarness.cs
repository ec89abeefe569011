using System.Diagnostics;
using System.Globalization;
using FmriToImage.Data.Nsd;

namespace FmriToImage.Benchmarks.Harness;

/// <summary>
/// Whether reconstructing a whole test set streams: <see cref="BrainDecoder.ReconstructAllAsync"/> over the first
/// <c>--trials</c> demo test trials, each result dropped when the next arrives, with the process's working set, peak
/// working set and managed heap printed after trial 1 and at every <c>--every</c>-th trial. Run once per trial count
/// (the peak is per process): <c>memory --trials 10</c>, <c>100</c>, <c>300</c>; <c>--passes N</c> goes through the
/// same trials N times (one <see cref="BrainDecoder.ReconstructAllAsync"/> call per pass) to show the plateau over
/// thousands of reconstructions.
/// </summary>
internal static class MemoryHarness
{
    public static int Run(HarnessArguments args)
    {
        var bundlePath = args.Text("bundle", "models/demo");
        var dataPath = args.Text("data", "samples/data/nsd-mini");
        var trials = args.Integer("trials", 300);
        var every = args.Integer("every", 50);
        var threads = args.Integer("threads", 2);
        var passes = args.Integer("passes", 1);
        args.RejectUnknown();

        using var process = Process.GetCurrentProcess();
        var test = NsdTestSet.Load(dataPath, 1, trials);
        if (test.ImageIds.Length < trials)
        {
            throw new ArgumentException($"The test set in '{dataPath}' has {test.ImageIds.Length} trials, fewer than --trials {trials}.");
        }

        using var decoder = BrainDecoder.Load(bundlePath, new BrainDecoderOptions { IntraOpThreads = threads });
        Report(process, "loaded", 0);
        var done = 0;
        var clock = Stopwatch.StartNew();
        for (var pass = 0; pass < passes; pass++)
        {
            foreach (var result in decoder.ReconstructAllAsync(test.Voxels).ToBlockingEnumerable())
            {
                done++;
                if (done == 1 || done % every == 0 || done == trials * passes)
                {
                    Report(process, $"{clock.Elapsed.TotalSeconds:F1} s", done);
                }
            }
        }

        process.Refresh();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak working set after {trials} trials × {passes} pass(es): {process.PeakWorkingSet64 / 1048576.0:F1} MiB"));
        return 0;
    }

    private static void Report(Process process, string when, int trials)
    {
        process.Refresh();
        var heap = GC.GetTotalMemory(forceFullCollection: false);
        var committed = GC.GetGCMemoryInfo().TotalCommittedBytes;
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"trials {trials,4} ({when,8}): working set {process.WorkingSet64 / 1048576.0,7:F1} MiB, peak {process.PeakWorkingSet64 / 1048576.0,7:F1} MiB, managed heap {heap / 1048576.0,6:F1} MiB (GC committed {committed / 1048576.0,6:F1} MiB), GCs gen0/1/2 {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}, GC pauses {GC.GetTotalPauseDuration().TotalMilliseconds:F0} ms"));
    }
}
