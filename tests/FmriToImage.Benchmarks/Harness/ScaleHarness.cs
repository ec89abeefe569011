using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FmriToImage.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Benchmarks.Harness;

/// <summary>
/// The FmriToImage half of tests/perf/scale_side_by_side.py: a full-size bundle (models/scale/build.py) through the
/// public API — <see cref="BrainDecoder.Load"/> timed with the process's peak resident memory after it, then
/// <c>--trials</c> reconstructions of seeded random voxel vectors with <c>--pipeline</c> (caption or unclip),
/// per-stage times, the time per UNet evaluation (the diffusion stage over the steps it ran) and the peak resident
/// memory at the end. <c>--all 1</c> runs the trials through <see cref="BrainDecoder.ReconstructAllAsync"/> in batches
/// of <c>--batch</c> (TrialBatchSize) instead, to measure what batching the encoders costs in memory.
/// </summary>
/// <remarks>
/// Session options to compare (load memory): <c>--config key=value,key=value</c> (ONNX Runtime session config entries,
/// e.g. <c>session.disable_prepacking=1</c>), <c>--arena 0</c> (no CPU memory arena). Writes <c>--out</c>/result.json.
/// </remarks>
internal static class ScaleHarness
{
    public static int Run(HarnessArguments args)
    {
        var bundlePath = args.Text("bundle", "artifacts/scale/caption");
        var pipelineName = args.Text("pipeline", "caption");
        var trials = args.Integer("trials", 1);
        var steps = args.Integer("steps", 0);
        var strengthText = args.Text("strength", "");
        var threads = args.Integer("threads", 2);
        var batch = args.Integer("batch", 8);
        var all = args.Integer("all", 0) == 1;
        var loadOnly = args.Integer("load-only", 0) == 1;
        var arena = args.Integer("arena", 1) == 1;
        var entries = args.Entries("config");
        var envArena = args.Integer("env-arena", 0) == 1;
        var library = args.Integer("library", 0) == 1;
        if (library && (entries.Count > 0 || !arena || envArena))
        {
            throw new ArgumentException("--library 1 opens the bundle with the public options only; --config, --arena 0 and --env-arena 1 do not apply to it.");
        }

        var output = args.Text("out", "artifacts/perf/scale");
        args.RejectUnknown();
        Directory.CreateDirectory(output);

        var pipeline = pipelineName switch
        {
            "caption" => ReconstructionPipeline.CaptionImg2Img,
            "unclip" => ReconstructionPipeline.Unclip,
            _ => throw new ArgumentException($"--pipeline must be caption or unclip, not '{pipelineName}'."),
        };
        if (envArena)
        {
            // One CPU arena for every session of the process, growing by what is requested (ONNX Runtime's
            // kSameAsRequested = 1) instead of each session's arena doubling: the sessions opt in with use_env_allocators.
            using var cpu = new OrtMemoryInfo(OrtMemoryInfo.allocatorCPU, OrtAllocatorType.ArenaAllocator, 0, OrtMemType.Default);
            using var arenaConfig = new OrtArenaCfg(0, 1, -1, -1);
            OnnxEnvironment.Ensure().CreateAndRegisterAllocator(cpu, arenaConfig);
            entries["session.use_env_allocators"] = "1";
        }

        var settings = new SessionSettings { IntraOpThreads = threads, EnableCpuMemoryArena = arena, ConfigEntries = entries };
        var weights = Directory.EnumerateFiles(bundlePath, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".onnx", StringComparison.Ordinal) || f.EndsWith(".onnx.data", StringComparison.Ordinal))
            .Sum(f => new FileInfo(f).Length);

        var loading = Stopwatch.StartNew();
        // --library 1: the public options only (IntraOpThreads = --threads), so the library's per-network choices apply
        // (one thread for small encoders does not, the count being explicit; no pre-packing for large voxel encoders does).
        var options = new BrainDecoderOptions { IntraOpThreads = threads, VerifyChecksums = false, TrialBatchSize = batch };
        using var decoder = BrainDecoder.Load(bundlePath, library ? options : options with { SessionSettings = settings });
        var loadSeconds = loading.Elapsed.TotalSeconds;
        var afterLoad = ProcessMemory.Read();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"load {loadSeconds:F1} s; graphs {weights / 1e9:F2} GB; resident {afterLoad.Rss / 1e9:F2} GB (file-backed {afterLoad.File / 1e9:F2} GB), peak {afterLoad.Peak / 1e9:F2} GB ({afterLoad.Peak / (double)weights:F2} × the graphs)"));
        var result = new Dictionary<string, object?>
        {
            ["bundle"] = bundlePath,
            ["onnxruntime"] = OnnxEnvironment.Version,
            ["threads"] = threads,
            ["arena"] = arena,
            ["env_arena_same_as_requested"] = envArena,
            ["library_options"] = library,
            ["config"] = entries,
            ["graph_bytes"] = weights,
            ["load_seconds"] = loadSeconds,
            ["rss_after_load"] = afterLoad.Rss,
            ["peak_after_load"] = afterLoad.Peak,
            ["file_backed_after_load"] = afterLoad.File,
        };
        if (!loadOnly)
        {
            var request = new ReconstructionRequest
            {
                Pipeline = pipeline,
                Steps = steps > 0 ? steps : null,
                Strength = strengthText.Length > 0 ? double.Parse(strengthText, CultureInfo.InvariantCulture) : null,
            };
            var voxels = SeededVoxels.Uniform(trials, decoder.VoxelCount, 23);
            var runs = new List<Dictionary<string, object?>>();
            var clock = Stopwatch.StartNew();
            if (all)
            {
                foreach (var reconstruction in decoder.ReconstructAllAsync(voxels, request).ToBlockingEnumerable())
                {
                    runs.Add(Describe(reconstruction, clock.Elapsed.TotalSeconds));
                    clock.Restart();
                }
            }
            else
            {
                for (var t = 0; t < trials; t++)
                {
                    clock.Restart();
                    var reconstruction = decoder.Reconstruct(voxels.Row(t), request);
                    runs.Add(Describe(reconstruction, clock.Elapsed.TotalSeconds));
                }
            }

            result["pipeline"] = pipelineName;
            result["all"] = all;
            result["batch"] = batch;
            result["trials"] = runs;
        }

        var end = ProcessMemory.Read();
        result["rss_end"] = end.Rss;
        result["peak_end"] = end.Peak;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"peak resident {end.Peak / 1e9:F2} GB ({end.Peak / (double)weights:F2} × the graphs)"));
        File.WriteAllText(Path.Combine(output, "result.json"), JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    private static Dictionary<string, object?> Describe(Reconstruction reconstruction, double seconds)
    {
        var request = reconstruction.Request;
        var stages = reconstruction.Timings.ToDictionary(p => p.Key, p => p.Value.TotalSeconds);
        var pixels = reconstruction.Image.Pixels;
        double mean = 0;
        foreach (var p in pixels)
        {
            mean += p;
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{reconstruction.Pipeline}: {seconds:F1} s, steps {request.Steps} strength {request.Strength} guidance {request.Guidance}; ")
            + string.Join(", ", stages.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key} {s.Value:F2} s"))));
        return new Dictionary<string, object?>
        {
            ["seconds"] = seconds,
            ["steps"] = request.Steps,
            ["strength"] = request.Strength,
            ["guidance"] = request.Guidance,
            ["samples"] = request.Samples,
            ["stages"] = stages,
            ["image"] = new[] { reconstruction.Image.Width, reconstruction.Image.Height },
            ["mean_pixel"] = mean / pixels.Length,
            ["caption"] = reconstruction.Captions.FirstOrDefault(),
            ["peak_rss"] = ProcessMemory.Read().Peak,
        };
    }
}
