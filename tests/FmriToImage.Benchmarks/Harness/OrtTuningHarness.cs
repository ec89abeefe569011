using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FmriToImage.Bundle;
using FmriToImage.Data.Nsd;
using FmriToImage.Diffusion;
using FmriToImage.Models;
using FmriToImage.Onnx;
using FmriToImage.Pipelines;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Benchmarks.Harness;

/// <summary>
/// ONNX Runtime settings measured on the demo bundle (docs/performance.md, "ONNX Runtime tuning"):
/// <list type="bullet">
/// <item><c>--experiment sessions</c>: whole caption → img2img reconstructions per trial under each session setting
/// (threads, spinning, graph optimisation level, memory pattern, arena), configurations interleaved round by round so
/// that a busy neighbour hurts all of them alike;</item>
/// <item><c>--experiment load</c>: session creation per bundle file from the original graph at level All against an
/// optimised-model cache opened with optimisations off, and <see cref="BrainDecoder.Load"/> as a whole;</item>
/// <item><c>--experiment batch</c>: the denoising loop with every candidate and both guidance halves in one UNet batch
/// against CFG halves run separately and against one loop per bagged model (<c>--spinning while-running|off|always</c>).</item>
/// </list>
/// </summary>
internal static class OrtTuningHarness
{
    public static int Run(HarnessArguments args)
    {
        var bundlePath = args.Text("bundle", "models/demo");
        var dataPath = args.Text("data", "samples/data/nsd-mini");
        var experiment = args.Text("experiment", "sessions");
        var trials = args.Integer("trials", 10);
        var warmup = args.Integer("warmup", 2);
        var rounds = args.Integer("rounds", 3);
        var output = args.Text("out", "artifacts/perf/ort-tuning");
        var only = args.Text("only", string.Empty);
        var variant = args.Text("vae-variant", string.Empty);
        var spinning = args.Text("spinning", "while-running") switch
        {
            "while-running" => ThreadSpinning.WhileRunning,
            "off" => ThreadSpinning.Off,
            "always" => ThreadSpinning.Always,
            var other => throw new ArgumentException($"--spinning must be while-running, off or always, not '{other}'."),
        };
        args.RejectUnknown();
        Directory.CreateDirectory(output);
        object result = experiment switch
        {
            "sessions" => Sessions(bundlePath, dataPath, trials, warmup, rounds, only),
            "load" => Load(bundlePath, rounds, output),
            "batch" => Batches(bundlePath, trials, rounds, spinning),
            "networks" => Networks(bundlePath, trials, rounds, only, variant),
            "profile" => Profile(bundlePath, trials, output),
            _ => throw new ArgumentException($"--experiment must be sessions, load, batch, networks or profile, not '{experiment}'."),
        };
        File.WriteAllText(Path.Combine(output, experiment + ".json"), JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    /// <summary>The session settings compared; the first is ONNX Runtime's defaults as the library passes them.</summary>
    private static IReadOnlyList<(string Name, SessionSettings Options)> Configurations()
    {
        var two = new SessionSettings { IntraOpThreads = 2 };
        return
        [
            ("ORT's defaults (threads 0, All, pattern, spinning always)", new SessionSettings { Spinning = ThreadSpinning.Always }),
            ("threads 1, spinning always", new SessionSettings { IntraOpThreads = 1, Spinning = ThreadSpinning.Always }),
            ("threads 2, spinning always", two with { Spinning = ThreadSpinning.Always }),
            ("threads 2, no spinning", two with { Spinning = ThreadSpinning.Off }),
            ("library default (threads 0, spinning while running)", new SessionSettings()),
            ("threads 1", new SessionSettings { IntraOpThreads = 1 }),
            ("threads 2", two),
            ("threads 2, optimisation off", two with { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL }),
            ("threads 2, basic", two with { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC }),
            ("threads 2, extended", two with { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED }),
            ("threads 2, memory pattern off", two with { EnableMemoryPattern = false }),
            ("threads 2, CPU arena off", two with { EnableCpuMemoryArena = false }),
            ("global thread pool (threads 0, spinning while running)", new SessionSettings { UseGlobalThreadPool = true }),
            ("threads 2, dynamic blocks 4", two with { ConfigEntries = new Dictionary<string, string> { ["session.dynamic_block_base"] = "4" } }),
            ("threads 2, NCHWc off", two with { ConfigEntries = new Dictionary<string, string> { ["optimization.disable_specified_optimizers"] = "NchwcTransformer" } }),
            ("threads 2, ONNX Runtime's spin count", two with { SpinMicroseconds = null }),
            ("threads 2, spin 100 us", two with { ConfigEntries = new Dictionary<string, string> { ["session.intra_op.spin_duration_us"] = "100" } }),
            ("threads 2, spin 20 us", two with { ConfigEntries = new Dictionary<string, string> { ["session.intra_op.spin_duration_us"] = "20" } }),
            ("threads 2, spin 50 us", two with { ConfigEntries = new Dictionary<string, string> { ["session.intra_op.spin_duration_us"] = "50" } }),
            .. OneThreadFor.Keys.Select(name => (name, two)),
            (StaticShapes, two),
        ];
    }

    /// <summary>
    /// Configurations of <c>--experiment sessions</c> that give some networks one intra-op thread and the rest two,
    /// through the public per-network hook (<see cref="BrainDecoderOptions.ConfigureSession"/>).
    /// </summary>
    private static readonly Dictionary<string, BundleComponentKind[]> OneThreadFor = new(StringComparer.Ordinal)
    {
        ["threads 2, 1 for voxel encoders"] = [BundleComponentKind.VoxelEncoder],
        ["threads 2, 1 for all but UNet and VAE decoder"] =
            [BundleComponentKind.VoxelEncoder, BundleComponentKind.TextEncoder, BundleComponentKind.ImageEncoder, BundleComponentKind.CaptionerVision, BundleComponentKind.CaptionerDecoder],
        ["threads 2, 1 for all but UNet"] =
            [BundleComponentKind.VoxelEncoder, BundleComponentKind.TextEncoder, BundleComponentKind.ImageEncoder, BundleComponentKind.CaptionerVision, BundleComponentKind.CaptionerDecoder, BundleComponentKind.VaeDecoder],
    };

    /// <summary>
    /// <c>--experiment networks</c> only: each session opened with its dynamic <c>batch</c> and <c>sequence</c> axes fixed
    /// at the case's sizes (ONNX Runtime's free-dimension overrides), so that shape computations fold at load.
    /// </summary>
    private const string StaticShapes = "threads 2, batch and sequence fixed at load";

    private static Action<BundleComponentKind, SessionOptions>? PerNetworkThreads(string configuration)
    {
        if (!OneThreadFor.TryGetValue(configuration, out var kinds))
        {
            return null;
        }

        return (kind, options) =>
        {
            if (kinds.Contains(kind))
            {
                options.IntraOpNumThreads = 1;
            }
        };
    }

    private static object Sessions(string bundlePath, string dataPath, int trials, int warmup, int rounds, string only)
    {
        var test = NsdTestSet.Load(dataPath, 1, warmup + trials);
        var configurations = Configurations().Where(c => Selected(c.Name, only)).ToArray();
        var seconds = configurations.ToDictionary(c => c.Name, _ => new List<double>());
        var stages = configurations.ToDictionary(c => c.Name, _ => new Dictionary<string, List<double>>());
        var loads = configurations.ToDictionary(c => c.Name, _ => new List<double>());
        for (var r = 0; r < rounds; r++)
        {
            foreach (var (name, options) in configurations)
            {
                var clock = Stopwatch.StartNew();
                using var decoder = BrainDecoder.Load(bundlePath, new BrainDecoderOptions { SessionSettings = options, ConfigureSession = PerNetworkThreads(name) });
                loads[name].Add(clock.Elapsed.TotalSeconds);
                for (var t = 0; t < warmup; t++)
                {
                    decoder.Reconstruct(test.Voxels.Row(t));
                }

                for (var t = warmup; t < warmup + trials; t++)
                {
                    clock.Restart();
                    var result = decoder.Reconstruct(test.Voxels.Row(t));
                    seconds[name].Add(clock.Elapsed.TotalSeconds);
                    foreach (var (stage, time) in result.Timings)
                    {
                        (stages[name].TryGetValue(stage, out var list) ? list : stages[name][stage] = []).Add(time.TotalSeconds);
                    }
                }

                Console.WriteLine($"round {r + 1}/{rounds} {name,-50} median {TimingSummary.Median(seconds[name].TakeLast(trials).ToArray()) * 1e3,8:F1} ms");
            }
        }

        var stageNames = stages[configurations[0].Name].Keys.ToArray();
        Console.WriteLine();
        Console.WriteLine($"{"configuration",-50} {"median ms",10} {"mean ms",8} {"load s",7}  " + string.Join(" ", stageNames.Select(s => s.Split(' ')[0].PadLeft(9))));
        foreach (var (name, _) in configurations)
        {
            Console.WriteLine($"{name,-50} {TimingSummary.Median(seconds[name]) * 1e3,10:F1} {seconds[name].Average() * 1e3,8:F1} {TimingSummary.Median(loads[name]),7:F2}  "
                + string.Join(" ", stageNames.Select(s => (TimingSummary.Median(stages[name][s]) * 1e3).ToString("F1", CultureInfo.InvariantCulture).PadLeft(9))));
        }

        return configurations.ToDictionary(
            c => c.Name,
            c => new { median_ms = TimingSummary.Median(seconds[c.Name]) * 1e3, mean_ms = seconds[c.Name].Average() * 1e3, load_s = loads[c.Name], stages_median_ms = stages[c.Name].ToDictionary(s => s.Key, s => TimingSummary.Median(s.Value) * 1e3) });
    }

    private static object Load(string bundlePath, int rounds, string output)
    {
        var files = Directory.EnumerateFiles(bundlePath, "*.onnx", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        var cache = Path.Combine(output, "optimized");
        Directory.CreateDirectory(cache);
        var optimized = files.ToDictionary(f => f, f => Path.Combine(cache, Path.GetRelativePath(bundlePath, f).Replace('/', '_')));
        foreach (var file in files)
        {
            using var writer = GraphSession.Open(file, new SessionSettings { IntraOpThreads = 2, OptimizedModelFilePath = optimized[file] });
        }

        var fromOriginal = files.ToDictionary(f => f, _ => new List<double>());
        var fromCache = files.ToDictionary(f => f, _ => new List<double>());
        var wholeLoads = new List<double>();
        var unverifiedLoads = new List<double>();
        for (var r = 0; r < rounds; r++)
        {
            foreach (var file in files)
            {
                var clock = Stopwatch.StartNew();
                using (GraphSession.Open(file, new SessionSettings { IntraOpThreads = 2 }))
                {
                    fromOriginal[file].Add(clock.Elapsed.TotalSeconds);
                }

                clock.Restart();
                using (GraphSession.Open(optimized[file], new SessionSettings { IntraOpThreads = 2, GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL }))
                {
                    fromCache[file].Add(clock.Elapsed.TotalSeconds);
                }
            }

            var whole = Stopwatch.StartNew();
            using (BrainDecoder.Load(bundlePath, new BrainDecoderOptions { IntraOpThreads = 2 }))
            {
                wholeLoads.Add(whole.Elapsed.TotalSeconds);
            }

            whole.Restart();
            using (BrainDecoder.Load(bundlePath, new BrainDecoderOptions { IntraOpThreads = 2, VerifyChecksums = false }))
            {
                unverifiedLoads.Add(whole.Elapsed.TotalSeconds);
            }
        }

        Console.WriteLine($"{"file",-36} {"original, All (ms)",18} {"cache, off (ms)",16}");
        foreach (var file in files)
        {
            Console.WriteLine($"{Path.GetRelativePath(bundlePath, file),-36} {TimingSummary.Median(fromOriginal[file]) * 1e3,18:F1} {TimingSummary.Median(fromCache[file]) * 1e3,16:F1}");
        }

        var originalTotal = files.Sum(f => TimingSummary.Median(fromOriginal[f]));
        var cacheTotal = files.Sum(f => TimingSummary.Median(fromCache[f]));
        Console.WriteLine($"{"all files",-36} {originalTotal * 1e3,18:F1} {cacheTotal * 1e3,16:F1}");
        Console.WriteLine($"BrainDecoder.Load: median {TimingSummary.Median(wholeLoads) * 1e3:F1} ms with sha256 checks, {TimingSummary.Median(unverifiedLoads) * 1e3:F1} ms without");
        return new
        {
            per_file_ms = files.ToDictionary(f => Path.GetRelativePath(bundlePath, f), f => new { original_all = TimingSummary.Median(fromOriginal[f]) * 1e3, cache_disabled = TimingSummary.Median(fromCache[f]) * 1e3 }),
            total_original_ms = originalTotal * 1e3,
            total_cache_ms = cacheTotal * 1e3,
            brain_decoder_load_ms = TimingSummary.Median(wholeLoads) * 1e3,
            brain_decoder_load_unverified_ms = TimingSummary.Median(unverifiedLoads) * 1e3,
        };
    }

    private static object Batches(string bundlePath, int loops, int rounds, ThreadSpinning spinning)
    {
        using var bundle = ModelBundle.Open(bundlePath, new ModelBundleOptions { Settings = new SessionSettings { IntraOpThreads = 2, Spinning = spinning } });
        var defaults = bundle.Decoder!.Pipelines["caption_img2img"];
        var models = bundle.Decoder.VoxelEncoders.Count(e => e.Role == VoxelEncoderRole.VaeLatent);
        var vae = ModelLoader.VaeDecoder(bundle);
        var side = (int)bundle.VaeDecoder!.ConfigNumber("sample_size")!.Value / vae.DownsamplingFactor;
        var tokenWidth = (int)bundle.Unet!.ConfigNumber("cross_attention_dim")!.Value;
        var sequence = ModelLoader.TextEncoder(bundle).SequenceLength;
        var latentLength = vae.LatentChannels * side * side;
        var candidates = models * defaults.Samples;
        var noise = new GaussianNoiseSource(1);

        float[] Random(int count)
        {
            var values = new float[count];
            noise.Fill(values);
            return values;
        }

        DiffusionRequest Request(int batch) => new()
        {
            BatchSize = batch,
            LatentLength = latentLength,
            Noise = new GaussianNoiseSource(0),
            Conditioning = Random(batch * sequence * tokenWidth),
            UnconditionalConditioning = Random(batch * sequence * tokenWidth),
            InitLatents = Random(batch * latentLength),
            NumInferenceSteps = defaults.Steps,
            GuidanceScale = defaults.Guidance,
            Strength = defaults.Strength,
        };

        var all = Request(candidates);
        var one = Request(1);
        using var unet = new UNet(bundle.Unet.Session, vae.LatentChannels, side, side, tokenWidth);
        var split = new GuidanceHalvesDenoiser(unet);
        var variants = new (string Name, Action Run)[]
        {
            ($"one loop, {candidates} candidates, CFG in the batch (UNet batch {2 * candidates})", () => new Sampler(new DdimScheduler(LoadScheduler(bundle)), unet).Sample(all)),
            ($"one loop as the pipeline runs it: a new UNet wrapper (new binding) per loop", () =>
            {
                using var fresh = new UNet(bundle.Unet.Session, vae.LatentChannels, side, side, tokenWidth);
                new Sampler(new DdimScheduler(LoadScheduler(bundle)), fresh).Sample(all);
            }),
            ($"one loop, {candidates} candidates, CFG halves separately (2 × batch {candidates})", () => new Sampler(new DdimScheduler(LoadScheduler(bundle)), split).Sample(all)),
            ($"{candidates} loops, one per candidate, CFG in the batch (batch 2)", () => Repeat(candidates, () => new Sampler(new DdimScheduler(LoadScheduler(bundle)), unet).Sample(one))),
            ($"{candidates} loops, CFG halves separately (2 × batch 1)", () => Repeat(candidates, () => new Sampler(new DdimScheduler(LoadScheduler(bundle)), split).Sample(one))),
        };
        foreach (var (_, run) in variants)
        {
            run(); // binds the shapes, warms the session
        }

        var seconds = variants.ToDictionary(v => v.Name, _ => new List<double>());
        for (var r = 0; r < rounds; r++)
        {
            foreach (var (name, run) in variants)
            {
                for (var l = 0; l < loops; l++)
                {
                    var clock = Stopwatch.StartNew();
                    run();
                    seconds[name].Add(clock.Elapsed.TotalSeconds);
                }
            }
        }

        var steps = defaults.Steps - Sampler.Img2ImgStartIndex(defaults.Steps, defaults.Strength);
        Console.WriteLine($"Denoising {candidates} candidates, {steps} steps, guidance {defaults.Guidance}, demo UNet, 2 intra-op threads, spinning {spinning}; median of {rounds} × {loops} loops");
        foreach (var (name, _) in variants)
        {
            Console.WriteLine($"{name,-72} {TimingSummary.Median(seconds[name]) * 1e3,8:F1} ms");
        }

        return variants.ToDictionary(v => v.Name, v => new { median_ms = TimingSummary.Median(seconds[v.Name]) * 1e3, mean_ms = seconds[v.Name].Average() * 1e3 });
    }

    /// <summary>One run of each network at the shapes the caption → img2img pipeline gives it, per session setting.</summary>
    /// <remarks>
    /// <paramref name="variant"/>: another VAE decoder graph (e.g. a re-export), timed as one more case in the same rounds
    /// after checking it computes what the bundle's does.
    /// </remarks>
    private static object Networks(string bundlePath, int runs, int rounds, string only, string variant)
    {
        var cases = NetworkCases(bundlePath);
        if (variant.Length > 0)
        {
            var vae = cases.Single(c => c.File == "vae_decoder/model.onnx");
            cases = [.. cases, ("VAE variant", Path.GetFullPath(variant), vae.Inputs)];
            var values = vae.Inputs();
            using var original = GraphSession.Open(Path.Combine(bundlePath, vae.File));
            using var other = GraphSession.Open(Path.GetFullPath(variant));
            using var a = original.Run(values);
            using var b = other.Run(values);
            var x = a[0].GetTensorDataAsSpan<float>().ToArray();
            var y = b[0].GetTensorDataAsSpan<float>().ToArray();
            Console.WriteLine($"VAE variant {variant}: max |difference| from the bundle's {x.Zip(y, (p, q) => Math.Abs(p - q)).Max():G3} over {x.Length} values");
            foreach (var value in values)
            {
                value.Value.Dispose();
            }
        }

        var configurations = Configurations().Where(c => Selected(c.Name, only)).ToArray();
        var seconds = new Dictionary<(string, string), List<double>>();
        for (var r = 0; r < rounds; r++)
        {
            foreach (var (config, options) in configurations)
            {
                foreach (var (name, file, inputs) in cases)
                {
                    var values = inputs();
                    var shape = values[0].Value.GetTensorTypeAndShape().Shape;
                    var sequence = values.FirstOrDefault(v => v.Name is "input_ids" or "encoder_hidden_states").Value?.GetTensorTypeAndShape().Shape[1];
                    using var session = GraphSession.Open(Path.Combine(bundlePath, file), config != StaticShapes ? options : options with
                    {
                        Configure = o =>
                        {
                            o.AddFreeDimensionOverrideByName("batch", shape[0]);
                            if (sequence is { } length)
                            {
                                o.AddFreeDimensionOverrideByName("sequence", length);
                            }
                        },
                    });
                    try
                    {
                        for (var w = 0; w < 3; w++)
                        {
                            session.Run(values).Dispose();
                        }

                        var list = seconds.TryGetValue((config, name), out var l) ? l : seconds[(config, name)] = [];
                        for (var i = 0; i < runs; i++)
                        {
                            var clock = Stopwatch.StartNew();
                            session.Run(values).Dispose();
                            list.Add(clock.Elapsed.TotalSeconds);
                        }
                    }
                    finally
                    {
                        foreach (var value in values)
                        {
                            value.Value.Dispose();
                        }
                    }
                }
            }
        }

        Console.WriteLine($"{"median ms per run",-50} " + string.Join(" ", cases.Select(c => c.Name.Split(',')[0].PadLeft(12)[..12])));
        foreach (var (config, _) in configurations)
        {
            Console.WriteLine($"{config,-50} " + string.Join(" ", cases.Select(c => (TimingSummary.Median(seconds[(config, c.Name)]) * 1e3).ToString("F2", CultureInfo.InvariantCulture).PadLeft(12))));
        }

        return configurations.ToDictionary(c => c.Name, c => cases.ToDictionary(n => n.Name, n => TimingSummary.Median(seconds[(c.Name, n.Name)]) * 1e3));
    }

    /// <summary>Each network of the demo bundle with inputs of the shapes the caption → img2img pipeline gives it.</summary>
    private static (string Name, string File, Func<NamedValue[]> Inputs)[] NetworkCases(string bundlePath)
    {
        DecoderManifest manifest;
        using (var bundle = ModelBundle.Open(bundlePath))
        {
            manifest = bundle.Decoder!;
        }

        var lowLevel = manifest.VoxelEncoders.First(e => e.Role == VoxelEncoderRole.VaeLatent).File;
        var candidates = manifest.VoxelEncoders.Count(e => e.Role == VoxelEncoderRole.VaeLatent);
        var noise = new GaussianNoiseSource(5);
        OrtValue Floats(params long[] shape)
        {
            var values = new float[(int)shape.Aggregate(1L, (a, b) => a * b)];
            noise.Fill(values);
            return AlignedTensor.Copy<float>(values, shape);
        }

        // network, file, inputs (the pipeline's shapes for the demo bundle: 4 candidates, 64×64 images, latents 4×8×8, 20 tokens)
        return new (string Name, string File, Func<NamedValue[]> Inputs)[]
        {
            ("voxel encoder, 1 trial", lowLevel, () => [new("voxels", Floats(1, manifest.EncoderInputWidth))]),
            ($"VAE decoder, batch {candidates}", "vae_decoder/model.onnx", () => [new("latent_sample", Floats(candidates, 4, 8, 8))]),
            ($"captioner vision, batch {candidates}", "captioner/vision.onnx", () => [new("pixel_values", Floats(candidates, 3, 64, 64))]),
            ("captioner decoder, 1 image, 10 tokens", "captioner/decoder.onnx", () => [new("input_ids", AlignedTensor.Zeroed<long>([1, 10])), new("image_embeds", Floats(1, 16, 64))]),
            ($"text encoder, batch {candidates}", "text_encoder/model.onnx", () => [new("input_ids", AlignedTensor.Zeroed<long>([candidates, 20]))]),
            ($"UNet, batch {2 * candidates}", "unet/model.onnx", () => [new("sample", Floats(2 * candidates, 4, 8, 8)), new("timestep", AlignedTensor.Copy<float>([501f], ReadOnlySpan<long>.Empty)), new("encoder_hidden_states", Floats(2 * candidates, 20, 64))]),
            ($"image encoder, batch {candidates}", "image_encoder/model.onnx", () => [new("pixel_values", Floats(candidates, 3, 64, 64))]),
        };
    }

    /// <summary>
    /// ONNX Runtime's own profile of each network (2 intra-op threads, spinning while running): the time per run spent in
    /// each operator type after the graph optimisations, averaged over <paramref name="runs"/> runs after 3 warm-up runs.
    /// </summary>
    private static object Profile(string bundlePath, int runs, string output)
    {
        var result = new Dictionary<string, Dictionary<string, double>>();
        foreach (var (name, file, inputs) in NetworkCases(bundlePath))
        {
            var prefix = Path.GetFullPath(Path.Combine(output, "profile-" + Path.GetFileNameWithoutExtension(file.Replace('/', '_'))));
            string profile;
            var values = inputs();
            try
            {
                using var session = GraphSession.Open(Path.Combine(bundlePath, file), new SessionSettings
                {
                    IntraOpThreads = 2,
                    Configure = o =>
                    {
                        o.ProfileOutputPathPrefix = prefix; // read when profiling is enabled: set it first
                        o.EnableProfiling = true;
                    },
                });
                for (var i = 0; i < 3 + runs; i++)
                {
                    session.Run(values).Dispose();
                }
            }
            finally
            {
                foreach (var value in values)
                {
                    value.Value.Dispose();
                }
            }

            profile = Directory.EnumerateFiles(Path.GetDirectoryName(prefix)!, Path.GetFileName(prefix) + "*.json").OrderByDescending(File.GetLastWriteTimeUtc).First();
            using var json = JsonDocument.Parse(File.ReadAllText(profile));
            var perOp = new Dictionary<string, double>(StringComparer.Ordinal);
            var total = 0.0;
            foreach (var e in json.RootElement.EnumerateArray())
            {
                if (e.GetProperty("cat").GetString() == "Node" && e.GetProperty("name").GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal))
                {
                    var op = e.GetProperty("args").GetProperty("op_name").GetString()!;
                    var ms = e.GetProperty("dur").GetDouble() / 1e3 / (3 + runs);
                    perOp[op] = perOp.GetValueOrDefault(op) + ms;
                    total += ms;
                }
            }

            Console.WriteLine($"{name} ({file}): {total:F3} ms of kernels per run; " + string.Join(", ", perOp.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value:F3}")));
            result[name] = perOp;
        }

        return result;
    }

    /// <summary>
    /// Whether <c>--only</c> selects a configuration: empty selects all, one name selects every configuration whose name
    /// contains it, several names separated by '|' select exactly those.
    /// </summary>
    private static bool Selected(string name, string only) =>
        only.Length == 0 || (only.Contains('|', StringComparison.Ordinal) ? only.Split('|').Contains(name, StringComparer.Ordinal) : name.Contains(only, StringComparison.Ordinal));

    private static DdimSchedulerConfig LoadScheduler(ModelBundle bundle) =>
        DdimSchedulerConfig.FromJson(File.ReadAllText(bundle.ResolvePath("scheduler/scheduler_config.json")));

    private static void Repeat(int count, Action action)
    {
        for (var i = 0; i < count; i++)
        {
            action();
        }
    }

    /// <summary>Runs a guided batch (unconditional half, conditional half) as two separate denoiser calls.</summary>
    private sealed class GuidanceHalvesDenoiser(IDenoiser inner) : IDenoiser
    {
        public void Denoise(ReadOnlySpan<float> latents, int batchSize, double timestep, ReadOnlySpan<float> conditioning, Span<float> destination, CancellationToken cancellationToken)
        {
            var half = batchSize / 2;
            var latentHalf = latents.Length / 2;
            var contextHalf = conditioning.Length / 2;
            inner.Denoise(latents[..latentHalf], half, timestep, conditioning[..contextHalf], destination[..latentHalf], cancellationToken);
            inner.Denoise(latents[latentHalf..], half, timestep, conditioning[contextHalf..], destination[latentHalf..], cancellationToken);
        }
    }
}
