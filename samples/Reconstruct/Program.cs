// fmri2img-reconstruct: the main job. Reconstructs a subject's trials from its voxels with a model bundle, prints the
// field's metrics and writes out/: grid.png, metrics.json, per-trial PNGs and report.html.
//
//   dotnet run --project samples/Reconstruct -c Release                       # the demo bundle on the demo data
//   dotnet run --project samples/Reconstruct -c Release -- --limit 10 --pipeline unclip --shard 0/4 --resume
//   dotnet run --project samples/Reconstruct -c Release -- --data trials.npy   # a single file: no ground truth
//
// Exit codes (ExitCodes.cs, also printed by --help): 0 success; 1 unexpected error (a bug: the stack trace is printed);
// 2 usage; 3 a path does not exist; 4 the bundle or a data file is invalid; 5 the data do not fit the bundle;
// 130 cancelled (Ctrl+C).
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

    foreach (var (component, session) in new[] { ("unet", decoder.Bundle.Unet?.Session) })
    {
        if (session?.ExecutionProviderFallbackReason is { } reason)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]{component}: {reason}[/]");
        }
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
    var mine = Enumerable.Range(0, trials.Keys.Length).Where(k => k % shardCount == shardIndex).ToArray();
    var resume = parse.GetValue(resumeOption);
    var todo = mine.Where(k => !resume || !File.Exists(Path.Combine(trialsFolder, $"{trials.Keys[k]}.json"))).ToArray();
    AnsiConsole.MarkupLineInterpolated($"{decoder.Subject}: {trials.Description}; shard {shardIndex}/{shardCount} has {mine.Length}, {todo.Length} to do; pipeline {request.Pipeline}.");

    await AnsiConsole.Progress()
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
        .StartAsync(async context =>
        {
            var bar = context.AddTask("reconstructing", maxValue: Math.Max(1, todo.Length));
            foreach (var k in todo)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var key = trials.Keys[k];
                bar.Description = trials.Labels[k];
                var started = DateTime.UtcNow;
                var voxels = trials.Voxels.Row(k).ToArray();
                var result = await Task.Run(() => decoder.Reconstruct(voxels, request, cancellationToken), cancellationToken);
                result.Image.SavePng(Path.Combine(trialsFolder, $"{key}.png"));
                if (result.LowLevelImages.Count > 0)
                {
                    result.LowLevelImages[result.Pipeline == ReconstructionPipeline.CaptionImg2Img ? result.ChosenIndex / Math.Max(1, result.Candidates.Count / result.LowLevelImages.Count) : 0]
                        .SavePng(Path.Combine(trialsFolder, $"{key}_lowlevel.png"));
                }

                for (var c = 0; c < result.Candidates.Count; c++)
                {
                    result.Candidates[c].Image.SavePng(Path.Combine(trialsFolder, $"{key}_candidate{c}.png"));
                }

                var record = new TrialResult(
                    key,
                    trials.Labels[k],
                    result.Pipeline.ToString(),
                    result.ChosenIndex,
                    result.Candidates.Select(c => new TrialResult.Candidate(c.Model, c.Sample, c.Score, c.Caption)).ToArray(),
                    result.Captions.ToArray(),
                    (DateTime.UtcNow - started).TotalSeconds);
                await File.WriteAllTextAsync(Path.Combine(trialsFolder, $"{key}.json"), JsonSerializer.Serialize(record), cancellationToken);
                bar.Increment(1);
            }

            bar.Value = bar.MaxValue;
        });

    // Evaluate every finished trial of this shard.
    var done = mine.Where(k => File.Exists(Path.Combine(trialsFolder, $"{trials.Keys[k]}.json"))).ToArray();
    var rows = done.Select(k =>
    {
        var key = trials.Keys[k];
        var record = JsonSerializer.Deserialize<TrialResult>(File.ReadAllText(Path.Combine(trialsFolder, $"{key}.json")))!;
        var final = RgbImage.LoadPng(Path.Combine(trialsFolder, $"{key}.png"));
        var lowPath = Path.Combine(trialsFolder, $"{key}_lowlevel.png");
        var candidates = Enumerable.Range(0, record.Candidates.Length)
            .Select(c => Path.Combine(trialsFolder, $"{key}_candidate{c}.png"))
            .Where(File.Exists)
            .Select(RgbImage.LoadPng)
            .ToArray();
        var truth = trials.GroundTruth?[k];
        return new ReportTrial(
            record,
            truth,
            File.Exists(lowPath) ? RgbImage.LoadPng(lowPath) : null,
            final,
            candidates,
            truth is null ? null : PixelCorrelation.Compute(truth, final),
            truth is null ? null : StructuralSimilarity.Compute(truth, final),
            k);
    }).ToArray();

    var metrics = new List<(string Name, string Value, string Chance)>
    {
        ("trials", rows.Length.ToString(CultureInfo.InvariantCulture), "-"),
    };
    if (rows.Length > 0)
    {
        metrics.Add(("chosen candidate's voting score (mean)", Format(rows.Average(r => r.Result.ChosenScore)), "-"));
    }

    if (trials.GroundTruth is not null && rows.Length > 0)
    {
        metrics.Add(("PixCorr", Format(rows.Average(r => r.PixCorr!.Value)), "0"));
        metrics.Add(("SSIM", Format(rows.Average(r => r.Ssim!.Value)), "-"));
    }

    if (trials.GroundTruth is not null && rows.Length >= 2)
    {
        var truthFeatures = rows.SelectMany(r => decoder.EmbedImage(r.Truth!)).ToArray();
        var finalFeatures = rows.SelectMany(r => decoder.EmbedImage(r.Final)).ToArray();
        var dimension = truthFeatures.Length / rows.Length;
        metrics.Add(("two-way identification (bundle image encoder)", Format(TwoWayIdentification.Compute(truthFeatures, finalFeatures, dimension)), "0.500"));
        if (decoder.Bundle.VoxelEncoders.Any(v => v.Entry.Role == FmriToImage.Bundle.VoxelEncoderRole.ImageTokens))
        {
            var brain = rows.SelectMany(r => decoder.EmbedBrain(trials.Voxels.Row(r.Row))).ToArray();
            var way = Math.Min(300, rows.Length);
            var retrieval = RetrievalProtocol.TopOne(brain, truthFeatures, dimension, way: way, draws: way == rows.Length ? 1 : 30);
            metrics.Add(($"{way}-way image retrieval top-1", Format(retrieval.BrainToImage), Format(retrieval.Chance)));
            metrics.Add(($"{way}-way brain retrieval top-1", Format(retrieval.ImageToBrain), Format(retrieval.Chance)));
        }
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

    var json = metrics.ToDictionary(m => m.Name, m => m.Value);
    json["ground truth"] = trials.GroundTruth is null ? "none (a single data file: no trial → image table)" : "the images seen (NSD-layout data)";
    var jsonOptions = new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    await File.WriteAllTextAsync(Path.Combine(output, "metrics.json"), JsonSerializer.Serialize(json, jsonOptions), cancellationToken);
    var gridRows = rows.Take(24).Select(r => (IReadOnlyList<RgbImage?>)(r.Truth is null ? [r.LowLevel, r.Final] : [r.Truth, r.LowLevel, r.Final])).ToArray();
    if (gridRows.Length > 0)
    {
        ImageGrid.Compose(gridRows, spacing: 4, background: (255, 255, 255)).SavePng(Path.Combine(output, "grid.png"));
    }

    ReportWriter.Write(Path.Combine(output, "report.html"), $"FmriToImage — {decoder.Subject}, {request.Pipeline}", trials.Description, trials.GroundTruth is not null, metrics, rows);
    AnsiConsole.MarkupLineInterpolated($"Wrote {Path.GetFullPath(output)}: grid.png, metrics.json, report.html, trials/.");
    return ExitCodes.Success;
}

static string Format(double value) => value.ToString("F3", CultureInfo.InvariantCulture);

static void RequireAtLeastOne(Option<int?> option) => option.Validators.Add(r =>
{
    if (r.GetValue(option) is int value and < 1)
    {
        r.AddError($"{option.Name} must be at least 1, not {value}.");
    }
});
