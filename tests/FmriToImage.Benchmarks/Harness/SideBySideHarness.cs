using System.Diagnostics;
using System.Text.Json;
using FmriToImage.Data.Npy;
using FmriToImage.Data.Nsd;
using FmriToImage.Onnx;

namespace FmriToImage.Benchmarks.Harness;

/// <summary>
/// The FmriToImage half of tests/perf/side_by_side_torch.py: times <see cref="BrainDecoder.Reconstruct"/> (caption →
/// img2img with the bundle's defaults) per trial on the demo test set, and writes what the PyTorch half needs to run
/// the same networks on the same trials and to check it computed the same thing.
/// </summary>
/// <remarks>
/// Writes to <c>--out</c>: <c>voxels.npy</c> (warm-up then timed trials), <c>noise.npy</c> (the diffusion start
/// noise of seed 0, the same for every trial), <c>timings.json</c>, the timed trials' outputs (<c>final_images.npy</c>
/// [trials, candidates, H, W, 3] uint8, <c>lowlevel_images.npy</c>, <c>scores.npy</c>, <c>chosen.npy</c>,
/// <c>captions.json</c>) and per-network inputs and outputs of trial 0 under <c>networks/</c>
/// (<see cref="NetworkDump"/>).
/// </remarks>
internal static class SideBySideHarness
{
    public static int Run(HarnessArguments args)
    {
        var bundlePath = args.Text("bundle", "models/demo");
        var dataPath = args.Text("data", "samples/data/nsd-mini");
        var output = args.Text("out", "artifacts/perf/side-by-side");
        var trials = args.Integer("trials", 20);
        var warmup = args.Integer("warmup", 2);
        var threads = args.Integer("threads", 2);
        var device = args.Text("device", "cpu");
        args.RejectUnknown();
        Directory.CreateDirectory(output);

        var policy = device switch
        {
            "cpu" => ExecutionProviderPolicy.Cpu,
            "cuda" => ExecutionProviderPolicy.RequireCuda,
            _ => throw new ArgumentException($"--device must be cpu or cuda, not '{device}'."),
        };
        var loading = Stopwatch.StartNew();
        // --threads equal to the cores measures the library's default (0: one per core, small encoders on one thread);
        // another count is given to every network.
        var libraryThreads = threads == Environment.ProcessorCount ? 0 : threads;
        using var decoder = BrainDecoder.Load(bundlePath, new BrainDecoderOptions { ExecutionProvider = policy, IntraOpThreads = libraryThreads });
        var loadSeconds = loading.Elapsed.TotalSeconds;
        var test = NsdTestSet.Load(dataPath, subject: int.Parse(decoder.Subject![4..], System.Globalization.CultureInfo.InvariantCulture), limit: warmup + trials);
        if (test.ImageIds.Length < warmup + trials)
        {
            throw new ArgumentException($"The test set in '{dataPath}' has {test.ImageIds.Length} trials; --warmup {warmup} + --trials {trials} asked for more.");
        }

        NpyFile.Write<float>(Path.Combine(output, "voxels.npy"), test.Voxels.Values, [test.Voxels.TrialCount, test.Voxels.VoxelCount]);
        NetworkDump.Write(decoder.Bundle, test.Voxels.Row(0), Path.Combine(output, "networks"));

        for (var t = 0; t < warmup; t++)
        {
            decoder.Reconstruct(test.Voxels.Row(t));
        }

        var seconds = new double[trials];
        var results = new Reconstruction[trials];
        var costs = new TrialCost[trials];
        var clock = new Stopwatch();
        for (var t = 0; t < trials; t++)
        {
            var voxels = test.Voxels.Row(warmup + t);
            var before = TrialCost.Now();
            clock.Restart();
            results[t] = decoder.Reconstruct(voxels);
            seconds[t] = clock.Elapsed.TotalSeconds;
            costs[t] = TrialCost.Now() - before;
        }

        WriteResults(results, output);
        var first = results[0];
        var timings = new Dictionary<string, object?>
        {
            ["implementation"] = "FmriToImage",
            ["onnxruntime"] = OnnxEnvironment.Version,
            ["device"] = device,
            ["intra_op_threads"] = string.Join("; ", decoder.Networks.GroupBy(n => n.IntraOpThreads).OrderBy(g => g.Key)
                .Select(g => $"{(g.Key == 0 ? "one per core" : g.Key.ToString(System.Globalization.CultureInfo.InvariantCulture))}: {string.Join(", ", g.Select(n => n.Name))}")),
            ["warmup"] = warmup,
            ["trials"] = trials,
            ["image_ids"] = test.ImageIds,
            ["steps"] = first.Request.Steps,
            ["strength"] = first.Request.Strength,
            ["guidance"] = first.Request.Guidance,
            ["samples"] = first.Request.Samples,
            ["candidates"] = first.Candidates.Count,
            ["load_seconds"] = loadSeconds,
            ["seconds_per_trial"] = seconds,
            ["median_seconds"] = TimingSummary.Median(seconds),
            ["mean_seconds"] = seconds.Average(),
            ["cpu_seconds_per_trial"] = costs.Select(c => c.CpuSeconds).ToArray(),
            ["gc_per_trial"] = costs.Select(c => new[] { c.Gen0, c.Gen1, c.Gen2 }).ToArray(),
            ["gc_pause_seconds_per_trial"] = costs.Select(c => c.GcPauseSeconds).ToArray(),
            ["allocated_bytes_per_trial"] = costs.Select(c => c.AllocatedBytes).ToArray(),
            ["stage_seconds"] = first.Timings.Select(s => s.Key).ToDictionary(
                stage => stage,
                stage => results.Select(r => r.Timings.First(p => p.Key == stage).Value.TotalSeconds).ToArray()),
        };
        File.WriteAllText(Path.Combine(output, "timings.json"), JsonSerializer.Serialize(timings, new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"FmriToImage: {trials} trials after {warmup} warm-up, median {TimingSummary.Median(seconds) * 1e3:F1} ms, mean {seconds.Average() * 1e3:F1} ms per reconstruction ({output})");
        return 0;
    }

    private static void WriteResults(Reconstruction[] results, string output)
    {
        var image = results[0].Image;
        var candidates = results[0].Candidates.Count;
        var models = results[0].LowLevelImages.Count;
        var pixels = image.Width * image.Height * 3;
        var finals = new byte[results.Length * candidates * pixels];
        var lowLevel = new byte[results.Length * models * pixels];
        var scores = new float[results.Length * candidates];
        for (var t = 0; t < results.Length; t++)
        {
            for (var k = 0; k < candidates; k++)
            {
                results[t].Candidates[k].Image.Pixels.CopyTo(finals.AsSpan(((t * candidates) + k) * pixels));
                scores[(t * candidates) + k] = results[t].Candidates[k].Score;
            }

            for (var m = 0; m < models; m++)
            {
                results[t].LowLevelImages[m].Pixels.CopyTo(lowLevel.AsSpan(((t * models) + m) * pixels));
            }
        }

        NpyFile.Write<byte>(Path.Combine(output, "final_images.npy"), finals, [results.Length, candidates, image.Height, image.Width, 3]);
        NpyFile.Write<byte>(Path.Combine(output, "lowlevel_images.npy"), lowLevel, [results.Length, models, image.Height, image.Width, 3]);
        NpyFile.Write<float>(Path.Combine(output, "scores.npy"), scores, [results.Length, candidates]);
        NpyFile.Write<int>(Path.Combine(output, "chosen.npy"), results.Select(r => r.ChosenIndex).ToArray(), [results.Length]);
        File.WriteAllText(Path.Combine(output, "captions.json"), JsonSerializer.Serialize(results.Select(r => r.Captions).ToArray()));
    }
}
