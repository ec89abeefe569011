// fmri2img-reconstruct: the main job. Reconstructs a subject's trials from its voxels with a model bundle, prints the
// field's metrics and writes out/: grid.png, metrics.json, per-trial PNGs and report.html.
//
//   dotnet run --project samples/Reconstruct -c Release                       # the demo bundle on the demo data
//   dotnet run --project samples/Reconstruct -c Release -- --limit 10 --pipeline unclip --shard 0/4 --resume
//   dotnet run --project samples/Reconstruct -c Release -- --data trials.npy   # a single file: no ground truth
//   dotnet run --project samples/Reconstruct -c Release -p:OnnxRuntimeFlavor=Gpu -- --device cuda   # CUDA 13 + cuDNN 9
//
// Exit codes (ExitCodes.cs, also printed by --help): 0 success; 1 unexpected error (a bug: the stack trace is printed);
// 2 usage; 3 a path does not exist; 4 the bundle or a data file is invalid; 5 the data do not fit the bundle;
// 6 an execution provider cannot load (the missing library is named); 130 cancelled (Ctrl+C).
using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using FmriToImage;
using FmriToImage.Data;
using FmriToImage.Evaluation;
using FmriToImage.Imaging;
using FmriToImage.Onnx;
using FmriToImage.Retrieval;
using FmriToImage.Samples.Reconstruct;
using Spectre.Console;

var bundleOption = new Option<string>("--bundle") { Description = "Model bundle folder.", DefaultValueFactory = _ => "models/demo" };
var dataOption = new Option<string>("--data")
{
    Description = "An NSD-layout data root (the subject's shared test images, repetitions averaged, with their seen images), or one file of trials: "
        + ".npy (trials × voxels, in the bundle's voxel order and preprocessing), .h5/.hdf5 (/betas: (trials, voxels) likewise, or NSD's (trials, Z, Y, X) betas volumes), "
        + ".nii/.nii.gz (X, Y, Z, trials) betas volumes. Volumes are masked with the bundle's masks/nsdgeneral.nii.gz and z-scored per voxel over the file. "
        + "A single file has no ground truth: no PixCorr, SSIM, identification or retrieval.",
    DefaultValueFactory = _ => "samples/data/nsd-mini",
};
var subjectOption = new Option<int>("--subject") { Description = "Subject number (1 = subj01); must be the bundle's.", DefaultValueFactory = _ => 1 };
var pipelineOption = new Option<string>("--pipeline") { Description = "caption-img2img or unclip.", DefaultValueFactory = _ => "caption-img2img" };
pipelineOption.AcceptOnlyFromAmong("caption-img2img", "unclip");
var stepsOption = new Option<int?>("--steps") { Description = "DDIM steps, at least 1 (default: the bundle's)." };
var strengthOption = new Option<double?>("--strength") { Description = "img2img strength in [0, 1] (default: the bundle's)." };
var guidanceOption = new Option<double?>("--guidance") { Description = "Guidance scale, ≥ 0; ≤ 1 disables guidance (default: the bundle's)." };
var samplesOption = new Option<int?>("--samples") { Description = "Samples per model / per trial, at least 1 (default: the bundle's)." };
var seedOption = new Option<ulong>("--seed") { Description = "Seed of all diffusion noise.", DefaultValueFactory = _ => 0 };
var deviceOption = new Option<string>("--device") { Description = "cpu, cuda (required) or auto (CUDA, else CPU — said so).", DefaultValueFactory = _ => "cpu" };
deviceOption.AcceptOnlyFromAmong("cpu", "cuda", "auto");
var limitOption = new Option<int?>("--limit") { Description = "Reconstruct only the first N test images (NSD root) or rows (single file)." };
var shardOption = new Option<string?>("--shard") { Description = "i/n: this process takes trials i, i+n, i+2n, … (0-based), for cluster array jobs." };
var resumeOption = new Option<bool>("--resume") { Description = "Skip trials whose outputs already exist in --out." };
var outOption = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => "out" };
RequireAtLeastOne(limitOption);
RequireAtLeastOne(stepsOption);
RequireAtLeastOne(samplesOption);
strengthOption.Validators.Add(r =>
{
    if (r.GetValue(strengthOption) is { } s && !(s >= 0 && s <= 1))
    {
        r.AddError($"--strength must be in [0, 1], not {s.ToString(CultureInfo.InvariantCulture)}.");
    }
});
guidanceOption.Validators.Add(r =>
{
    if (r.GetValue(guidanceOption) is { } g && !(g >= 0 && double.IsFinite(g)))
    {
        r.AddError($"--guidance must be a finite number ≥ 0, not {g.ToString(CultureInfo.InvariantCulture)}.");
    }
});

// Images per EmbedImages run when the job evaluates.
const int ImageEmbeddingBatch = 16;

// Set once the first trial is reconstructed: an ArgumentException before that is the request's settings out of range
// (the library validates them before any network runs), so exit 2, not a bug.
var trialsRan = false;

var root = new RootCommand("Reconstruct seen images from fMRI with a model bundle, and evaluate them.\n\n" + ExitCodes.Description)
{
    bundleOption, dataOption, subjectOption, pipelineOption, stepsOption, strengthOption, guidanceOption, samplesOption,
    seedOption, deviceOption, limitOption, shardOption, resumeOption, outOption,
};
root.SetAction(async (parse, cancellationToken) =>
{
    var bundle = parse.GetValue(bundleOption)!;
    var data = parse.GetValue(dataOption)!;
    var output = parse.GetValue(outOption)!;
    var (shardIndex, shardCount) = (0, 1);
    if (parse.GetValue(shardOption) is { } shard)
    {
        var parts = shard.Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[0], out shardIndex) || !int.TryParse(parts[1], out shardCount) || shardCount < 1 || shardIndex < 0 || shardIndex >= shardCount)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]--shard must be i/n with 0 ≤ i < n, not '{shard}'.[/]");
            return ExitCodes.Usage;
        }
    }

    if (!Directory.Exists(bundle))
    {
        AnsiConsole.MarkupLineInterpolated($"[red]The bundle folder '{Path.GetFullPath(bundle)}' does not exist.[/] Run from the repository root, or pass --bundle.");
        return ExitCodes.PathNotFound;
    }

    if (!Directory.Exists(data) && !File.Exists(data))
    {
        AnsiConsole.MarkupLineInterpolated($"[red]The data '{Path.GetFullPath(data)}' does not exist.[/] Run from the repository root, or pass --data (an NSD-layout folder or a {string.Join(", ", TrialFile.Extensions)} file).");
        return ExitCodes.PathNotFound;
    }

    if (File.Exists(data) && !TrialFile.IsSupported(data))
    {
        AnsiConsole.MarkupLineInterpolated($"[red]--data '{data}' is a file of a kind this job does not read;[/] pass an NSD-layout folder or a {string.Join(", ", TrialFile.Extensions)} file.");
        return ExitCodes.Usage;
    }

    try
    {
        return await RunAsync(parse, bundle, data, output, shardIndex, shardCount, cancellationToken);
    }
    catch (OperationCanceledException)
    {
        AnsiConsole.MarkupLine("[yellow]Cancelled; finished trials are in the output folder (use --resume).[/]");
        return ExitCodes.Cancelled;
    }
    catch (ArgumentException e) when (!trialsRan && e is not ArgumentNullException)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]A setting is out of range: {e.Message}[/]");
        return ExitCodes.Usage;
    }
    catch (Exception e) when (e is ExecutionProviderUnavailableException or OnnxRuntimeLoadException)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]{e.Message}[/]");
        return ExitCodes.ExecutionProviderUnavailable;
    }
    catch (Exception e) when (e is VoxelCountMismatchException or DataShapeException)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]{e.Message}[/]");
        return ExitCodes.DataDoesNotFitBundle;
    }
    catch (Exception e) when (e is FmriToImageException or FileNotFoundException or InvalidDataException or FormatException)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]{e.Message}[/]");
        if (e is NonFiniteValueException)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]The trials of '{data}' must be finite values (NaN rows are unrecorded trials in MindEye2-style renorm files).[/]");
        }

        return ExitCodes.Invalid;
    }
});

var parsed = root.Parse(args);
if (parsed.Errors.Count > 0)
{
    foreach (var error in parsed.Errors)
    {
        Console.Error.WriteLine(error.Message);
    }

    Console.Error.WriteLine("Run with --help for the options.");
    return ExitCodes.Usage;
}

return await parsed.InvokeAsync();

async Task<int> RunAsync(ParseResult parse, string bundlePath, string dataPath, string output, int shardIndex, int shardCount, CancellationToken cancellationToken)
{
    var policy = parse.GetValue(deviceOption) switch { "cuda" => ExecutionProviderPolicy.RequireCuda, "auto" => ExecutionProviderPolicy.PreferCuda, _ => ExecutionProviderPolicy.Cpu };
    using var decoder = BrainDecoder.Load(bundlePath, new BrainDecoderOptions { ExecutionProvider = policy });
    var subject = parse.GetValue(subjectOption);
    var expectedSubject = $"subj{subject:00}";
    if (!string.Equals(decoder.Subject, expectedSubject, StringComparison.Ordinal))
    {
        AnsiConsole.MarkupLineInterpolated($"[red]The bundle '{bundlePath}' decodes {decoder.Subject}, but --subject asks for {expectedSubject}; pass the matching --subject or bundle.[/]");
        return ExitCodes.DataDoesNotFitBundle;
    }

    // What each network was created with; a --device auto fallback to CPU is said here and in metrics.json.
    var device = DeviceReport.Of(decoder.Bundle);
    AnsiConsole.MarkupLineInterpolated($"Execution providers: {device.Summary}");
    foreach (var fallback in device.Fallbacks)
    {
        AnsiConsole.MarkupLineInterpolated($"[yellow]{fallback}[/]");
    }

    var trials = await TrialSet.LoadAsync(dataPath, decoder, subject, parse.GetValue(limitOption), cancellationToken);
    if (trials.Voxels.VoxelCount != decoder.VoxelCount)
    {
        throw new VoxelCountMismatchException($"the data in '{dataPath}' for {expectedSubject}", decoder.VoxelCount, trials.Voxels.VoxelCount, $"bundle '{bundlePath}' expects {decoder.VoxelCount}");
    }

    var request = new ReconstructionRequest
    {
        Pipeline = parse.GetValue(pipelineOption) == "unclip" ? ReconstructionPipeline.Unclip : ReconstructionPipeline.CaptionImg2Img,
        Steps = parse.GetValue(stepsOption),
        Strength = parse.GetValue(strengthOption),
        Guidance = parse.GetValue(guidanceOption),
        Samples = parse.GetValue(samplesOption),
        Seed = parse.GetValue(seedOption),
    };

    var trialsFolder = Directory.CreateDirectory(Path.Combine(output, "trials")).FullName;
    var outputs = trials.Keys.Select(key => new TrialOutputs(trialsFolder, key)).ToArray();
    var mine = Enumerable.Range(0, trials.Keys.Length).Where(k => k % shardCount == shardIndex).ToArray();
    var resume = parse.GetValue(resumeOption);
    var identity = RunIdentity.Of(decoder, request);
    var todo = new List<int>();
    foreach (var k in mine)
    {
        var record = resume ? outputs[k].ReadRecord() : null;
        if (!outputs[k].IsComplete(record))
        {
            todo.Add(k);
        }
        else if (record!.Run != identity)
        {
            AnsiConsole.MarkupLineInterpolated($"[red]--resume: '{outputs[k].Json}' is another run's trial: {identity.DifferenceFrom(record.Run)}.[/] Pass the same bundle and settings, another --out, or drop --resume to redo every trial.");
            return ExitCodes.Usage;
        }
    }

    AnsiConsole.MarkupLineInterpolated($"{decoder.Subject}: {trials.Description}; shard {shardIndex}/{shardCount} has {mine.Length}, {todo.Count} to do; pipeline {request.Pipeline}.");
    var noRetrieval = trials.GroundTruth is null ? null : RetrievalSupport.WhyUnavailable(decoder);
    if (noRetrieval is not null)
    {
        AnsiConsole.MarkupLineInterpolated($"[yellow]No retrieval metrics: {noRetrieval}.[/]");
    }

    // Every trial to do in one ReconstructAllAsync: its encoder stages run BrainDecoderOptions.TrialBatchSize trials at once.
    await AnsiConsole.Progress()
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
        .StartAsync(async context =>
        {
            var bar = context.AddTask(todo.Count > 0 ? trials.Labels[todo[0]] : "nothing to do", maxValue: Math.Max(1, todo.Count));
            var progress = new ProgressBarReporter(bar, todo.Select(k => trials.Labels[k]).ToArray());
            var i = 0;
            var started = DateTime.UtcNow;
            await foreach (var result in decoder.ReconstructAllAsync(trials.Voxels.SelectRows(todo), request, progress, cancellationToken))
            {
                trialsRan = true;
                var k = todo[i++];
                var files = outputs[k];
                result.Image.SavePng(files.Final);
                result.ChosenLowLevelImage?.SavePng(files.LowLevel);

                for (var c = 0; c < result.Candidates.Count; c++)
                {
                    result.Candidates[c].Image.SavePng(files.Candidate(c));
                }

                var finished = DateTime.UtcNow;
                var record = new TrialResult(
                    trials.Keys[k],
                    trials.Labels[k],
                    result.Pipeline.ToString(),
                    result.ChosenIndex,
                    result.Candidates.Select(c => new TrialResult.Candidate(c.Model, c.Sample, c.Score, c.Caption)).ToArray(),
                    result.Captions.ToArray(),
                    (finished - started).TotalSeconds,
                    identity,
                    result.Request);
                started = finished;
                await File.WriteAllTextAsync(files.Json, JsonSerializer.Serialize(record), cancellationToken);
            }

            bar.Value = bar.MaxValue;
        });

    // Evaluate every finished trial of this shard.
    var rows = mine.Select(k => (Row: k, Record: outputs[k].ReadRecord())).Where(t => outputs[t.Row].IsComplete(t.Record)).Select(t =>
    {
        var (k, record) = (t.Row, t.Record!);
        var files = outputs[k];
        var final = RgbImage.LoadPng(files.Final);
        var candidates = Enumerable.Range(0, record.Candidates.Length).Select(c => RgbImage.LoadPng(files.Candidate(c))).ToArray();
        var truth = trials.GroundTruth?[k];
        var (pixCorr, ssim) = truth is null ? (default(double?), default(double?)) : ImageComparison.Compare(truth, final);
        return new ReportTrial(record, truth, File.Exists(files.LowLevel) ? RgbImage.LoadPng(files.LowLevel) : null, final, candidates, pixCorr, ssim, k);
    }).ToArray();

    var notes = new List<string>();
    var metrics = new List<(string Name, string Value, string Chance)>
    {
        ("trials", rows.Length.ToString(CultureInfo.InvariantCulture), "-"),
    };
    if (rows.Length > 0)
    {
        metrics.Add(("chosen candidate's voting score (mean)", ReportWriter.Format(rows.Average(r => r.Result.ChosenScore)), "-"));
    }

    if (trials.GroundTruth is not null && rows.Length > 0)
    {
        // Both at the seen image's size: the reconstruction is resampled to it (ImageComparison).
        metrics.Add(("PixCorr", ReportWriter.Format(rows.Average(r => r.PixCorr!.Value)), "0"));
        metrics.Add(("SSIM", ReportWriter.Format(rows.Average(r => r.Ssim!.Value)), "-"));
    }

    if (trials.GroundTruth is not null && rows.Length >= 2)
    {
        AddFeatureMetrics(decoder, trials, rows, noRetrieval, metrics, notes);
    }

    var table = new Table().AddColumn("metric").AddColumn("value").AddColumn("chance");
    foreach (var (name, value, chance) in metrics)
    {
        table.AddRow(Markup.Escape(name), value, chance);
    }

    AnsiConsole.Write(table);
    if (trials.GroundTruth is null)
    {
        AnsiConsole.MarkupLineInterpolated($"[yellow]{TrialSet.NoGroundTruth}[/]");
    }

    foreach (var note in notes)
    {
        AnsiConsole.MarkupLineInterpolated($"[yellow]{note}[/]");
    }

    var json = metrics.ToDictionary(m => m.Name, m => m.Value);
    if (notes.Count > 0)
    {
        json["notes"] = string.Join(" ", notes);
    }

    json["execution providers"] = device.ForMetrics;
    json["ground truth"] = trials.GroundTruth is null ? "none (a single data file: no trial → image table)" : "the images seen (NSD-layout data)";
    var jsonOptions = new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    // A shard writes its own metrics, grid and report (metrics.shard0of4.json, …); after every shard finished, one run
    // with --resume and no --shard evaluates all trials into metrics.json, grid.png and report.html (README.md).
    var suffix = shardCount > 1 ? $".shard{shardIndex}of{shardCount}" : "";
    await File.WriteAllTextAsync(Path.Combine(output, $"metrics{suffix}.json"), JsonSerializer.Serialize(json, jsonOptions), cancellationToken);
    var gridRows = rows.Take(24).Select(r => (IReadOnlyList<RgbImage?>)(r.Truth is null ? [r.LowLevel, r.Final] : [r.Truth, r.LowLevel, r.Final])).ToArray();
    if (gridRows.Length > 0)
    {
        ImageGrid.Compose(gridRows, spacing: 4, background: (255, 255, 255)).SavePng(Path.Combine(output, $"grid{suffix}.png"));
    }

    var source = string.Join(" ", [trials.Description + (shardCount > 1 ? $"; shard {shardIndex}/{shardCount} only." : "."), .. notes]);
    ReportWriter.Write(Path.Combine(output, $"report{suffix}.html"), $"FmriToImage — {decoder.Subject}, {request.Pipeline}", source, trials.GroundTruth is not null, metrics, rows);
    AnsiConsole.MarkupLineInterpolated($"Wrote {Path.GetFullPath(output)}: grid{suffix}.png, metrics{suffix}.json, report{suffix}.html, trials/.");
    return ExitCodes.Success;
}

// Two-way identification and retrieval, in the bundle's image-embedding space. What the bundle cannot compute is
// skipped with a note, never an error after the whole run.
void AddFeatureMetrics(BrainDecoder decoder, TrialSet trials, ReportTrial[] rows, string? noRetrieval, List<(string Name, string Value, string Chance)> metrics, List<string> notes)
{
    if (decoder.Bundle.ImageEncoder is null)
    {
        notes.Add("No two-way identification or retrieval: the bundle has no image encoder.");
        return;
    }

    var truthFeatures = EmbedImagesInBatches(decoder, rows.Select(r => r.Truth!).ToArray());
    var finalFeatures = EmbedImagesInBatches(decoder, rows.Select(r => r.Final).ToArray());
    var dimension = truthFeatures.Length / rows.Length;
    metrics.Add(("two-way identification (bundle image encoder)", ReportWriter.Format(TwoWayIdentification.Compute(truthFeatures, finalFeatures, dimension)), "0.500"));
    if (noRetrieval is not null)
    {
        notes.Add($"No retrieval: {noRetrieval}.");
        return;
    }

    float[] brain;
    try
    {
        brain = decoder.EmbedBrain(trials.Voxels.SelectRows(rows.Select(r => r.Row).ToArray()));
    }
    catch (Exception e) when (e is FmriToImage.Bundle.BundleComponentMissingException or FmriToImage.Bundle.BundleContractException)
    {
        notes.Add($"No retrieval: {e.Message}");
        return;
    }

    if (brain.Length != rows.Length * dimension)
    {
        notes.Add($"No retrieval: the brain embedding has {brain.Length / rows.Length} values, the image encoder's {dimension}; they are not one space.");
        return;
    }

    var way = Math.Min(300, rows.Length);
    var retrieval = RetrievalProtocol.TopOne(brain, truthFeatures, dimension, way: way, draws: way == rows.Length ? 1 : 30);
    metrics.Add(($"{way}-way image retrieval top-1", ReportWriter.Format(retrieval.BrainToImage), ReportWriter.Format(retrieval.Chance)));
    metrics.Add(($"{way}-way brain retrieval top-1", ReportWriter.Format(retrieval.ImageToBrain), ReportWriter.Format(retrieval.Chance)));
}

// The image encoder's embeddings, EmbedImages over ImageEmbeddingBatch images at a time (one run for all 300 test
// images could exhaust memory with a real CLIP).
static float[] EmbedImagesInBatches(BrainDecoder decoder, RgbImage[] images) =>
    images.Chunk(ImageEmbeddingBatch).SelectMany(decoder.EmbedImages).ToArray();

static void RequireAtLeastOne(Option<int?> option) => option.Validators.Add(r =>
{
    if (r.GetValue(option) is int value and < 1)
    {
        r.AddError($"{option.Name} must be at least 1, not {value}.");
    }
});
