using System.Diagnostics;
using System.Globalization;
using FmriToImage.Data;
using FmriToImage.Onnx;

namespace FmriToImage.Benchmarks.Harness;

/// <summary>
/// The voxel side of a bundle alone (docs/performance.md, "Pre-packing and the voxel encoders"): <c>--bundle</c> loaded
/// with <c>--config key=value,…</c> session entries (e.g. <c>session.disable_prepacking=1</c>), then
/// <see cref="BrainDecoder.EmbedBrain(VoxelMatrix, string?)"/> on <c>--trials</c> seeded random voxel vectors of the
/// first subject, <c>--repeat</c> times; prints the load time, each call's seconds and the process's peak memory.
/// <c>--library 1</c> opens the bundle with the public options only (<c>IntraOpThreads</c> = <c>--threads</c>), so the
/// library's own per-network choices apply (no pre-packing for large voxel encoders) instead of <c>--config</c>.
/// </summary>
internal static class EmbedBrainHarness
{
    public static int Run(HarnessArguments args)
    {
        var bundlePath = args.Text("bundle", "artifacts/mindeye2-random");
        var trials = args.Integer("trials", 8);
        var repeat = args.Integer("repeat", 3);
        var threads = args.Integer("threads", 2);
        var entries = args.Entries("config");
        var library = args.Integer("library", 0) == 1;
        args.RejectUnknown();
        if (library && entries.Count > 0)
        {
            throw new ArgumentException("--library 1 opens the bundle with the public options only; --config does not apply to it.");
        }

        var loading = Stopwatch.StartNew();
        var options = new BrainDecoderOptions { IntraOpThreads = threads, VerifyChecksums = false, TrialBatchSize = trials };
        using var decoder = BrainDecoder.Load(bundlePath, library ? options : options with { SessionSettings = new SessionSettings { IntraOpThreads = threads, ConfigEntries = entries } });
        var loadSeconds = loading.Elapsed.TotalSeconds;
        var afterLoad = ProcessMemory.Read();
        var subject = decoder.Subjects[0];
        var count = decoder.VoxelCountOf(subject);
        var matrix = SeededVoxels.Uniform(trials, count, 29);
        var times = new List<double>();
        for (var r = 0; r < repeat; r++)
        {
            var clock = Stopwatch.StartNew();
            _ = decoder.EmbedBrain(matrix, subject);
            times.Add(clock.Elapsed.TotalSeconds);
        }

        var end = ProcessMemory.Read();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"embed-brain: load {loadSeconds:F1} s (peak {afterLoad.Peak / 1e9:F2} GB); {trials} trials of {count} voxels ({subject}): {string.Join(" ", times.Select(t => t.ToString("F3", CultureInfo.InvariantCulture)))} s; peak {end.Peak / 1e9:F2} GB"));
        return 0;
    }
}
