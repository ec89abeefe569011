// fmri2img-reconstruct: the main job. Reconstructs a subject's shared test images from its voxels with a model
// bundle, prints the field's metrics and writes out/: grid.png, metrics.json, per-trial PNGs and report.html.
//
//   dotnet run --project samples/Reconstruct -c Release                       # the demo bundle on the demo data
//   dotnet run --project samples/Reconstruct -c Release -- --limit 10 --pipeline unclip --shard 0/4 --resume
//
// Exit codes: 0 success; 2 usage; 3 a path does not exist; 4 the bundle or data is invalid (message says which file);
// 5 the data does not fit the bundle (subject or voxel count); 130 cancelled (Ctrl+C).
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FmriToImage;
using FmriToImage.Data.Nsd;
using FmriToImage.Evaluation;
using FmriToImage.Imaging;
using FmriToImage.Onnx;
using FmriToImage.Retrieval;
using FmriToImage.Samples.Reconstruct;
using Spectre.Console;

var bundleOption = new Option<string>("--bundle") { Description = "Model bundle folder.", DefaultValueFactory = _ => "models/demo" };
var dataOption = new Option<string>("--data") { Description = "NSD-layout data root.", DefaultValueFactory = _ => "samples/data/nsd-mini" };
var subjectOption = new Option<int>("--subject") { Description = "Subject number (1 = subj01).", DefaultValueFactory = _ => 1 };
var pipelineOption = new Option<string>("--pipeline") { Description = "caption-img2img or unclip.", DefaultValueFactory = _ => "caption-img2img" };
pipelineOption.AcceptOnlyFromAmong("caption-img2img", "unclip");
var stepsOption = new Option<int?>("--steps") { Description = "DDIM steps (default: the bundle's)." };
var strengthOption = new Option<double?>("--strength") { Description = "img2img strength in [0, 1] (default: the bundle's)." };
var guidanceOption = new Option<double?>("--guidance") { Description = "Guidance scale (default: the bundle's)." };
var samplesOption = new Option<int?>("--samples") { Description = "Samples per model / per trial (default: the bundle's)." };
var seedOption = new Option<ulong>("--seed") { Description = "Seed of all diffusion noise.", DefaultValueFactory = _ => 0 };
var deviceOption = new Option<string>("--device") { Description = "cpu, cuda (required) or auto (CUDA, else CPU — said so).", DefaultValueFactory = _ => "cpu" };
deviceOption.AcceptOnlyFromAmong("cpu", "cuda", "auto");
var limitOption = new Option<int?>("--limit") { Description = "Reconstruct only the first N test images." };
var shardOption = new Option<string?>("--shard") { Description = "i/n: this process takes test images i, i+n, i+2n, … (0-based), for cluster array jobs." };
var resumeOption = new Option<bool>("--resume") { Description = "Skip test images whose outputs already exist in --out." };
var outOption = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => "out" };

var root = new RootCommand("Reconstruct seen images from fMRI with a model bundle, and evaluate them.")
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
            return 2;
        }
    }

    foreach (var (what, path) in new[] { ("bundle", bundle), ("data", data) })
    {
        if (!Directory.Exists(path))
        {
            AnsiConsole.MarkupLineInterpolated($"[red]The {what} folder '{Path.GetFullPath(path)}' does not exist.[/] Run from the repository root, or pass --{what}.");
            return 3;
        }
    }

    try
    {
        return await RunAsync(parse, bundle, data, output, shardIndex, shardCount, cancellationToken);
    }
    catch (OperationCanceledException)
    {
        AnsiConsole.MarkupLine("[yellow]Cancelled; finished trials are in the output folder (use --resume).[/]");
        return 130;
    }
    catch (VoxelCountMismatchException e)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]{e.Message}[/]");
        return 5;
    }
    catch (Exception e) when (e is FmriToImageException or FileNotFoundException or InvalidDataException or FormatException)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]{e.Message}[/]");
        return 4;
    }
});

return await root.Parse(args).InvokeAsync();

async Task<int> RunAsync(ParseResult parse, string bundlePath, string dataPath, string output, int shardIndex, int shardCount, CancellationToken cancellationToken)
{
    var policy = parse.GetValue(deviceOption) switch { "cuda" => ExecutionProviderPolicy.RequireCuda, "auto" => ExecutionProviderPolicy.PreferCuda, _ => ExecutionProviderPolicy.Cpu };
    using var decoder = BrainDecoder.Load(bundlePath, new BrainDecoderOptions { ExecutionProvider = policy });
    var subject = parse.GetValue(subjectOption);
    var expectedSubject = $"subj{subject:00}";
    if (!string.Equals(decoder.Subject, expectedSubject, StringComparison.Ordinal))
    {
        AnsiConsole.MarkupLineInterpolated($"[red]The bundle '{bundlePath}' decodes {decoder.Subject}, but --subject asks for {expectedSubject}; pass the matching --subject or bundle.[/]");
        return 5;
    }

    foreach (var (component, session) in new[] { ("unet", decoder.Bundle.Unet?.Session) })
    {
        if (session?.ExecutionProviderFallbackReason is { } reason)
        {
            AnsiConsole.MarkupLineInterpolated($"[yellow]{component}: {reason}[/]");
        }
    }

    var test = NsdTestSet.Load(dataPath, subject, parse.GetValue(limitOption));
    if (test.Voxels.VoxelCount != decoder.VoxelCount)
    {
        throw new VoxelCountMismatchException($"the data in '{dataPath}' for {expectedSubject}", decoder.VoxelCount, test.Voxels.VoxelCount, $"bundle '{bundlePath}' expects {decoder.VoxelCount}");
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
    var mine = Enumerable.Range(0, test.ImageIds.Length).Where(k => k % shardCount == shardIndex).ToArray();
    var resume = parse.GetValue(resumeOption);
    var todo = mine.Where(k => !resume || !File.Exists(Path.Combine(trialsFolder, $"{test.ImageIds[k]}.json"))).ToArray();
    AnsiConsole.MarkupLineInterpolated($"{decoder.Subject}: {test.ImageIds.Length} test images, shard {shardIndex}/{shardCount} has {mine.Length}, {todo.Length} to do; pipeline {request.Pipeline}.");

    await AnsiConsole.Progress()
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
        .StartAsync(async context =>
        {
            var bar = context.AddTask("reconstructing", maxValue: Math.Max(1, todo.Length));
            foreach (var k in todo)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var id = test.ImageIds[k];
                bar.Description = $"trial {id}";
                var started = DateTime.UtcNow;
                var voxels = test.Voxels.Row(k).ToArray();
                var result = await Task.Run(() => decoder.Reconstruct(voxels, request, cancellationToken), cancellationToken);
                result.Image.SavePng(Path.Combine(trialsFolder, $"{id}.png"));
                if (result.LowLevelImages.Count > 0)
                {
                    result.LowLevelImages[result.Pipeline == ReconstructionPipeline.CaptionImg2Img ? result.ChosenIndex / Math.Max(1, result.Candidates.Count / result.LowLevelImages.Count) : 0]
                        .SavePng(Path.Combine(trialsFolder, $"{id}_lowlevel.png"));
                }

                var record = new TrialResult(id, result.Pipeline.ToString(), result.ChosenModel, result.ChosenIndex, result.Candidates.Select(c => c.Score).ToArray(), result.Captions.ToArray(), (DateTime.UtcNow - started).TotalSeconds);
                await File.WriteAllTextAsync(Path.Combine(trialsFolder, $"{id}.json"), JsonSerializer.Serialize(record), cancellationToken);
                bar.Increment(1);
            }

            bar.Value = bar.MaxValue;
        });

    // Evaluate every finished trial of this shard.
    var done = mine.Where(k => File.Exists(Path.Combine(trialsFolder, $"{test.ImageIds[k]}.json"))).ToArray();
    var rows = done.Select(k =>
    {
        var id = test.ImageIds[k];
        var final = RgbImage.LoadPng(Path.Combine(trialsFolder, $"{id}.png"));
        var lowPath = Path.Combine(trialsFolder, $"{id}_lowlevel.png");
        var low = File.Exists(lowPath) ? RgbImage.LoadPng(lowPath) : null;
        var record = JsonSerializer.Deserialize<TrialResult>(File.ReadAllText(Path.Combine(trialsFolder, $"{id}.json")))!;
        var truth = test.GroundTruth[k];
        return (ImageId: id, Truth: truth, LowLevel: low, Final: final, Result: record, PixCorr: PixelCorrelation.Compute(truth, final), Ssim: StructuralSimilarity.Compute(truth, final), Trial: k);
    }).ToArray();

    var metrics = new List<(string Name, string Value, string Chance)>
    {
        ("trials", rows.Length.ToString(CultureInfo.InvariantCulture), "-"),
        ("PixCorr", Format(rows.Average(r => r.PixCorr)), "0"),
        ("SSIM", Format(rows.Average(r => r.Ssim)), "-"),
    };
    if (rows.Length >= 2)
    {
        var truthFeatures = rows.SelectMany(r => decoder.EmbedImage(r.Truth)).ToArray();
        var finalFeatures = rows.SelectMany(r => decoder.EmbedImage(r.Final)).ToArray();
        var dimension = truthFeatures.Length / rows.Length;
        metrics.Add(("two-way identification (bundle image encoder)", Format(TwoWayIdentification.Compute(truthFeatures, finalFeatures, dimension)), "0.500"));
        if (decoder.Bundle.VoxelEncoders.Any(v => v.Entry.Role == FmriToImage.Bundle.VoxelEncoderRole.ImageTokens))
        {
            var brain = rows.SelectMany(r => decoder.EmbedBrain(test.Voxels.Row(r.Trial))).ToArray();
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
    await File.WriteAllTextAsync(Path.Combine(output, "metrics.json"), JsonSerializer.Serialize(metrics.ToDictionary(m => m.Name, m => m.Value), new JsonSerializerOptions { WriteIndented = true }), cancellationToken);
    var gridRows = rows.Take(24).Select(r => (IReadOnlyList<RgbImage?>)[r.Truth, r.LowLevel, r.Final]).ToArray();
    if (gridRows.Length > 0)
    {
        ImageGrid.Compose(gridRows, spacing: 4, background: (255, 255, 255)).SavePng(Path.Combine(output, "grid.png"));
    }

    ReportWriter.Write(Path.Combine(output, "report.html"), $"FmriToImage — {decoder.Subject}, {request.Pipeline}", metrics, rows.Select(r => (r.ImageId, r.Truth, r.LowLevel, r.Final, r.Result, r.PixCorr, r.Ssim)).ToArray());
    AnsiConsole.MarkupLineInterpolated($"Wrote {Path.GetFullPath(output)}: grid.png, metrics.json, report.html, trials/.");
    return 0;
}

static string Format(double value) => value.ToString("F3", CultureInfo.InvariantCulture);
