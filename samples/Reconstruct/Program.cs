// fmri2img-reconstruct: the main job. Reconstructs a subject's trials from its voxels with a model bundle, prints the
// field's metrics and writes out/: grid.png, metrics.json, per-trial PNGs and report.html.
//
//   dotnet run --project samples/Reconstruct -c Release                       # the demo bundle on the demo data
//   dotnet run --project samples/Reconstruct -c Release -- --limit 10 --pipeline unclip --shard 0/4 --resume
//   dotnet run --project samples/Reconstruct -c Release -- --data trials.npy   # a single file: no ground truth
//   dotnet run --project samples/Reconstruct -c Release -- --data betas_all_subj01_fp32_renorm.hdf5 --nonfinite skip-trial --rows 0-999
//   dotnet run --project samples/Reconstruct -c Release -p:OnnxRuntimeFlavor=Gpu -- --device cuda   # CUDA 13 + cuDNN 9
//
// Exit codes (ExitCodes.cs, also printed by --help): 0 success; 1 unexpected error (a bug: the stack trace is printed);
// 2 usage; 3 a path does not exist; 4 the bundle, a data file (NaN voxels: --nonfinite), the evaluation bundle or the
// mean image is invalid; 5 the data do not fit the bundle;
// 6 an execution provider cannot load (the missing library is named); 130 cancelled (Ctrl+C).
using System.CommandLine;
using System.Text.Json;
using FmriToImage;
using FmriToImage.Data;
using FmriToImage.Data.Atlas;
using FmriToImage.Evaluation;
using FmriToImage.Imaging;
using FmriToImage.Onnx;
using FmriToImage.Reconstructions;
using FmriToImage.Samples.Reconstruct;
using Spectre.Console;

// The demo world's mean training image (tests/fixtures/evaluation/make_demo_mean_image.py), the default --mean-image
// with the default --data.
const string DemoMeanImage = "samples/Reconstruct/demo-mean-training-image.png";
var bundleOption = new Option<string>("--bundle") { Description = "Model bundle folder.", DefaultValueFactory = _ => "models/demo" };
var dataOption = new Option<string>("--data")
{
    Description = "An NSD-layout data root (the subject's shared test images, repetitions averaged — or, with a shared-subject bundle whose rule is 'outputs', each repeat decoded and the outputs averaged — with their seen images), "
        + "an Algonauts 2023 subject folder (its test split, else its training split: lh then rh vertices, with its images), or one file of trials: "
        + ".npy (trials × voxels, in the bundle's voxel order and preprocessing), .h5/.hdf5 (/betas: (trials, voxels) likewise, or NSD's (trials, Z, Y, X) betas volumes), "
        + ".nii/.nii.gz (X, Y, Z, trials) betas volumes. Volumes are masked with the bundle's masks/nsdgeneral.nii.gz and z-scored per voxel over the file. "
        + "A single file has no ground truth: no PixCorr, SSIM, identification or retrieval.",
    DefaultValueFactory = _ => "samples/data/nsd-mini",
};
var subjectOption = new Option<int>("--subject") { Description = "Subject number (1 = subj01); must be the bundle's.", DefaultValueFactory = _ => 1 };
var pipelineOption = new Option<string>("--pipeline") { Description = $"One of {string.Join(", ", OptionValues.Pipelines)} (any case).", DefaultValueFactory = _ => "caption-img2img", CustomParser = OptionValues.Pipeline };
var stepsOption = new Option<int?>("--steps") { Description = "Denoising steps of the scheduler the bundle (or the pipeline's override) names — DDIM, PNDM, Euler, EDM —, at least 1 (default: the bundle's).", CustomParser = OptionValues.PositiveWholeNumber };
var strengthOption = new Option<double?>("--strength") { Description = "img2img strength in [0, 1] (default: the bundle's).", CustomParser = OptionValues.Number(0, 1, "in [0, 1]") };
var guidanceOption = new Option<double?>("--guidance") { Description = "Guidance scale, ≥ 0; ≤ 1 disables guidance (default: the bundle's).", CustomParser = OptionValues.Number(0, double.MaxValue, "≥ 0") };
var samplesOption = new Option<int?>("--samples") { Description = "Samples per model / per trial, at least 1 (default: the bundle's).", CustomParser = OptionValues.PositiveWholeNumber };
var seedOption = new Option<ulong>("--seed") { Description = "Seed of all diffusion noise, 0 to 18446744073709551615.", DefaultValueFactory = _ => 0, CustomParser = OptionValues.Seed };
var deviceOption = new Option<string>("--device")
{
    Description = "cpu, cuda (required) or auto (CUDA, else CPU — said so).",
    DefaultValueFactory = _ => "cpu",
    CustomParser = OptionValues.OneOf(["cpu", "cuda", "auto"], "a device policy", "policies"),
};
var roiSetOption = new Option<string?>("--roi-set")
{
    Description = "With an Algonauts 2023 subject folder as --data: decode from these ROIs only — every vertex outside them is zeroed in the input of every voxel encoder (an input mask; each encoder's own ROI set still applies on top): Set1, Set2, Set3 or ROI names separated by commas (e.g. V1v,V1d,FFA-1), looked up in the folder's roi_masks.",
};
var limitOption = new Option<int?>("--limit") { Description = "Reconstruct only the first N test images (NSD root) or rows (single file).", CustomParser = OptionValues.PositiveWholeNumber };
var shardOption = new Option<string?>("--shard")
{
    Description = "i/n: this process takes trials i, i+n, i+2n, … (0-based), for cluster array jobs. Unset in a Slurm array task: "
        + "taken from SLURM_ARRAY_TASK_ID/MIN/MAX/STEP/COUNT (said so); deploy/slurm/.",
};
var resumeOption = new Option<bool>("--resume") { Description = "Skip trials whose outputs already exist in --out." };
var mergeOption = new Option<bool>("--merge")
{
    Description = "After every shard finished: evaluate all trials in --out into metrics.json, grid.png and report.html. Reconstructs nothing; "
        + "refuses (exit 2) when a trial is not done or was made with another bundle or other settings.",
};
var outOption = new Option<string>("--out") { Description = "Output folder.", DefaultValueFactory = _ => "out" };
var evaluationBundleOption = new Option<string?>("--evaluation-bundle")
{
    Description = "Evaluation bundle (models/export/eval_networks.py): AlexNet, Inception v3, CLIP, EfficientNet-B1 and SwAV as ONNX graphs, for MindEye's full metric table. Without it: PixCorr, SSIM and the bundle's own image-encoder identification only.",
};
var rowsOption = new Option<string?>("--rows") { Description = "A single file's rows to reconstruct, 0-based: e.g. 0-9,15,20-22." };
var imagesOption = new Option<string?>("--images")
{
    Description = "The images a single file's trials saw, for the full metric table: a folder of PNG/JPEG files or an HDF5 file with /imgBrick (images × H × W × 3, uint8). With --image-ids.",
};
var imageIdsOption = new Option<string?>("--image-ids")
{
    Description = "Which image each trial row saw: a comma-separated list (row 0 first), a file of one id per line, or a CSV with an 'image' (or 'nsdId') column and optionally 'row'. "
        + "An id is a file name without extension in the --images folder, or the index into /imgBrick.",
};
var meanImageOption = new Option<string?>("--mean-image")
{
    Description = "The mean training image (PNG or JPEG), scored as the baseline column (a reconstruction that ignores the brain). Default with the demo data: " + DemoMeanImage + ".",
};
var nonFiniteOption = new Option<string>("--nonfinite")
{
    Description = "NaN or ∞ voxels in a single trial file (MindEye2's renorm files hold NaN rows for trials never recorded): "
        + "error (exit 4 naming the row and voxel), zero (replace them by 0; volumes before z-scoring) or skip-trial (leave out every row "
        + "that holds one, among --rows/--limit: listed on stderr and in metrics.json; --image-ids still maps the file's rows).",
    DefaultValueFactory = _ => OptionValues.NonFiniteModes[0].Name,
    CustomParser = OptionValues.OneOf([.. OptionValues.NonFiniteModes.Select(m => m.Name)], "a mode", "modes"),
};
var explainOption = new Option<bool>("--explain")
{
    Description = "Also map which ROIs the brain's predicted image embedding depends on (leave one ROI out: each ROI of the data root's prf-visualrois and floc-* atlases set to its training mean, "
        + "for every trial of the run): writes importance.nii.gz (the mean, in the subject's grid), importance_trials.nii.gz, importance_rois.csv and importance_trials.csv, and shows "
        + "slices and the top ROIs in report.html. Needs an NSD-layout data root; not with --shard.",
};

// Set once the first trial is reconstructed: an ArgumentException before that is the request's settings out of range
// (the library validates them before any network runs), so exit 2, not a bug.
var trialsRan = false;

var root = new RootCommand("Reconstruct seen images from fMRI with a model bundle, and evaluate them.\n\n" + ExitCodes.Description)
{
    bundleOption, dataOption, subjectOption, pipelineOption, stepsOption, strengthOption, guidanceOption, samplesOption,
    seedOption, deviceOption, roiSetOption, limitOption, shardOption, resumeOption, mergeOption, outOption, rowsOption, imagesOption, imageIdsOption, evaluationBundleOption, meanImageOption,
    nonFiniteOption, explainOption,
};
root.Subcommands.Add(AdaptCommand.Create());
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
            Console.Error.WriteLine($"--shard must be i/n with 0 ≤ i < n, not '{shard}'.");
            return ExitCodes.Usage;
        }

        if (parse.GetValue(mergeOption))
        {
            Console.Error.WriteLine("--merge evaluates every shard's trials; it takes no --shard.");
            return ExitCodes.Usage;
        }
    }
    else if (!parse.GetValue(mergeOption))
    {
        if (SlurmArrayShard.Read(Environment.GetEnvironmentVariable, out var arrayError) is { } arrayShard)
        {
            (shardIndex, shardCount) = (arrayShard.Index, arrayShard.Count);
            AnsiConsole.MarkupLineInterpolated($"Shard {shardIndex}/{shardCount} from the Slurm array: {arrayShard.Source} (--shard overrides it).");
        }
        else if (arrayError is not null)
        {
            Console.Error.WriteLine($"No shard: {arrayError}");
            return ExitCodes.Usage;
        }
    }

    // --out first: a file, /dev/null or "" would otherwise fail (or write trials/ into the working folder) only after
    // the bundle loaded.
    if (OutputFolder.Prepare(output) is { } outProblem)
    {
        Console.Error.WriteLine($"--out '{output}' {outProblem}");
        return ExitCodes.Usage;
    }

    if (!Directory.Exists(bundle))
    {
        Console.Error.WriteLine($"--bundle: the folder '{Path.GetFullPath(bundle)}' does not exist. Run from the repository root, or pass --bundle.");
        return ExitCodes.PathNotFound;
    }

    if (!Directory.Exists(data) && !File.Exists(data))
    {
        Console.Error.WriteLine($"--data: '{Path.GetFullPath(data)}' does not exist. Run from the repository root, or pass --data (an NSD-layout folder or a {string.Join(", ", TrialFile.Extensions)} file).");
        return ExitCodes.PathNotFound;
    }

    if (parse.GetValue(roiSetOption) is { } roiSetText)
    {
        if (!TrialSet.IsAlgonauts(data))
        {
            Console.Error.WriteLine($"--roi-set needs an Algonauts 2023 subject folder as --data (its roi_masks/ name the ROIs); '{data}' is not one.");
            return ExitCodes.Usage;
        }

        if (string.IsNullOrWhiteSpace(roiSetText.Replace(',', ' ')))
        {
            Console.Error.WriteLine("--roi-set is empty: pass Set1, Set2, Set3 or ROI names separated by commas.");
            return ExitCodes.Usage;
        }
    }

    if (parse.GetValue(explainOption) && (shardCount > 1 || !Directory.Exists(data) || TrialSet.IsAlgonauts(data)))
    {
        Console.Error.WriteLine(shardCount > 1
            ? "--explain maps the whole run's trials; run it without --shard (or in the --merge run)."
            : $"--explain needs an NSD-layout data root (its ROI atlases {string.Join(", ", ImportanceReport.NsdAtlases)}); '{data}' is not one.");
        return ExitCodes.Usage;
    }

    if (File.Exists(data) && !TrialFile.IsSupported(data))
    {
        Console.Error.WriteLine($"--data '{data}' is a file of a kind this job does not read; pass an NSD-layout folder or a {string.Join(", ", TrialFile.Extensions)} file.");
        return ExitCodes.Usage;
    }

    foreach (var (option, path, folder) in new[] { (evaluationBundleOption, parse.GetValue(evaluationBundleOption), true), (meanImageOption, parse.GetValue(meanImageOption), false), (imagesOption, parse.GetValue(imagesOption), (bool?)null) })
    {
        if (path is not null && !(folder switch { true => Directory.Exists(path), false => File.Exists(path), null => Directory.Exists(path) || File.Exists(path) }))
        {
            Console.Error.WriteLine($"{option.Name}: '{Path.GetFullPath(path)}' does not exist.");
            return ExitCodes.PathNotFound;
        }
    }

    try
    {
        return await RunAsync(parse, bundle, data, output, shardIndex, shardCount, cancellationToken);
    }
    catch (Exception e) when (ExitCodes.Of(e, refusedArgument: trialsRan ? null : ExitCodes.Usage, unreadableInput: ExitCodes.Invalid) is { } code)
    {
        Console.Error.WriteLine(e switch
        {
            OperationCanceledException => "Cancelled; finished trials are in the output folder (use --resume).",
            ArgumentException argument => $"A setting is out of range: {OptionValues.RequestMessage(argument)}",
            UnknownRoiException => $"--roi-set: {e.Message}",

            // The library's message names its own API (NonFiniteHandling); the user's lever is --nonfinite.
            NonFiniteValueException nonFinite => File.Exists(data)
                ? $"--data '{data}': row {nonFinite.Trial}, voxel {nonFinite.Voxel} is NaN or infinite. Pass --nonfinite zero to replace such voxels by 0, "
                    + "or --nonfinite skip-trial to leave out every row that holds one (MindEye2's renorm files hold NaN rows for trials never recorded)."
                : $"--data '{data}': trial {nonFinite.Trial} of those being reconstructed, voxel {nonFinite.Voxel}, is NaN or infinite; a data folder's trials must be finite "
                    + "(--nonfinite zero|skip-trial applies to a single trial file).",
            _ => e.Message,
        });
        return code;
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
    if (!decoder.Subjects.Contains(expectedSubject))
    {
        Console.Error.WriteLine($"--subject: the bundle '{bundlePath}' decodes {string.Join(", ", decoder.Subjects)}, but --subject asks for {expectedSubject}; pass the matching --subject or bundle.");
        return ExitCodes.DataDoesNotFitBundle;
    }

    if (parse.GetValue(explainOption) && decoder.Subject is null)
    {
        Console.Error.WriteLine($"--explain maps one subject's importances; the bundle '{bundlePath}' decodes several ({string.Join(", ", decoder.Subjects)}). Explain with a single-subject bundle.");
        return ExitCodes.Usage;
    }

    // What each network was created with; a --device auto fallback to CPU is said here and in metrics.json.
    var device = DeviceReport.Of(decoder);
    AnsiConsole.MarkupLineInterpolated($"Execution providers: {device.Summary}");
    foreach (var fallback in device.Fallbacks)
    {
        AnsiConsole.MarkupLineInterpolated($"[yellow]{fallback}[/]");
    }

    // The evaluation bundle and the mean image are opened now, not after the trials ran: a bad one fails fast.
    var meanImagePath = parse.GetValue(meanImageOption) ?? (parse.GetResult(dataOption) is null or { Implicit: true } && File.Exists(DemoMeanImage) ? DemoMeanImage : null);
    using var evaluationBundle = parse.GetValue(evaluationBundleOption) is { } evaluationPath
        ? EvaluationBundle.Open(evaluationPath, new EvaluationBundleOptions { ExecutionProvider = policy })
        : null;
    var meanImage = meanImagePath is null ? null : RgbImage.Load(meanImagePath);

    var roiSet = parse.GetValue(roiSetOption) is { } roiText ? TrialSet.ParseRoiSet(roiText) : null;
    var rowsText = parse.GetValue(rowsOption);
    var nonFinite = parse.GetValue(nonFiniteOption)!;
    var trials = await TrialSet.LoadAsync(dataPath, decoder, subject, parse.GetValue(limitOption), roiSet, rowsText is null ? null : RowSelection.Parse(rowsText), parse.GetValue(imagesOption), parse.GetValue(imageIdsOption),
        OptionValues.NonFinite(nonFinite), cancellationToken);
    if (trials.SkippedRows.Count > 0)
    {
        Console.Error.WriteLine($"--nonfinite skip-trial: left out {trials.SkippedRows.Count} of {trials.Keys.Length + trials.SkippedRows.Count} rows of '{dataPath}' for NaN or infinite values: rows {RowSelection.Format(trials.SkippedRows)}.");
    }

    if (trials.Keys.Length == 0)
    {
        Console.Error.WriteLine($"--data '{dataPath}': no trial is left: every row asked for holds NaN or infinite values (--nonfinite skip-trial).");
        return ExitCodes.Invalid;
    }
    var subjectVoxels = decoder.VoxelCountOf(expectedSubject);
    if (trials.Voxels.VoxelCount != subjectVoxels)
    {
        throw new VoxelCountMismatchException($"the data in '{dataPath}' for {expectedSubject}", subjectVoxels, trials.Voxels.VoxelCount, $"bundle '{bundlePath}' expects {subjectVoxels}");
    }

    var request = new ReconstructionRequest
    {
        Pipeline = OptionValues.PipelineFor(parse.GetValue(pipelineOption)!),
        Steps = parse.GetValue(stepsOption),
        Strength = parse.GetValue(strengthOption),
        Guidance = parse.GetValue(guidanceOption),
        Samples = parse.GetValue(samplesOption),
        Seed = parse.GetValue(seedOption),
        Subject = expectedSubject,
    };

    var trialsFolder = Directory.CreateDirectory(Path.Combine(output, "trials")).FullName;
    var outputs = trials.Keys.Select(key => new TrialOutputs(trialsFolder, key)).ToArray();
    var mine = Enumerable.Range(0, trials.Keys.Length).Where(k => k % shardCount == shardIndex).ToArray();
    var merge = parse.GetValue(mergeOption);
    var resume = parse.GetValue(resumeOption) || merge;
    var identity = RunIdentity.Of(decoder, request, nonFinite);
    if (merge && ShardMerge.Refusal(output, outputs, identity) is { } refusal)
    {
        Console.Error.WriteLine(refusal);
        return ExitCodes.Usage;
    }

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
            Console.Error.WriteLine($"--resume: '{outputs[k].Json}' is another run's trial: {identity.DifferenceFrom(record.Run)}. Pass the same bundle and settings, another --out, or drop --resume to redo every trial.");
            return ExitCodes.Usage;
        }
    }

    // A bundle whose rule is MindEye2's (repetition_averaging: outputs) decodes an NSD root's repeats one by one and
    // averages the encoders' outputs; otherwise the repeats' voxels are averaged (format 1 bundles, single files).
    var byRepeats = (request.RepetitionAveraging ?? decoder.RepetitionAveraging) == RepetitionAveraging.Outputs && trials.Repeats is not null;
    AnsiConsole.MarkupLineInterpolated($"Repeats: {(trials.Repeats is null ? "one row per trial" : byRepeats ? "each decoded on its own, the voxel encoders' outputs averaged (MindEye2)" : "voxels averaged per image")}.");
    AnsiConsole.MarkupLineInterpolated($"{expectedSubject}: {trials.Description}; shard {shardIndex}/{shardCount} has {mine.Length}, {todo.Count} to do; pipeline {request.Pipeline}.");
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
            var results = byRepeats
                ? decoder.ReconstructImagesAsync(trials.RepeatsOf(todo).Rows, trials.RepeatsOf(todo).Images, request, progress, cancellationToken)
                : decoder.ReconstructAllAsync(trials.Voxels.SelectRows(todo), request, progress, cancellationToken);
            await foreach (var result in results)
            {
                trialsRan = true;
                var k = todo[i++];
                var files = outputs[k];
                // Images first, the record last, each written whole (AtomicFile): a record means its images are there.
                AtomicFile.WritePng(files.Final, result.Image);
                if (result.ChosenLowLevelImage is { } lowLevel)
                {
                    AtomicFile.WritePng(files.LowLevel, lowLevel);
                }

                for (var c = 0; c < result.Candidates.Count; c++)
                {
                    AtomicFile.WritePng(files.Candidate(c), result.Candidates[c].Image);
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
                    result.Request,
                    result.Timings.Select(t => new TrialResult.Stage(t.Key, t.Value.TotalMilliseconds)).ToArray());
                started = finished;
                await AtomicFile.WriteAllTextAsync(files.Json, JsonSerializer.Serialize(record), cancellationToken);
            }

            bar.Value = bar.MaxValue;
        });

    // Evaluate every finished trial of this shard. From here on an ArgumentException is a bug (exit 1), not a setting
    // out of range: the settings were checked by the reconstruction above, or by the records' identity (--merge/--resume).
    trialsRan = true;
    var rows = mine.Select(k => (Row: k, Record: outputs[k].ReadRecord())).Where(t => outputs[t.Row].IsComplete(t.Record)).Select(t =>
    {
        var (k, record) = (t.Row, t.Record!);
        var files = outputs[k];
        var final = RgbImage.LoadPng(files.Final);
        var candidates = Enumerable.Range(0, record.Candidates.Length).Select(c => RgbImage.LoadPng(files.Candidate(c))).ToArray();
        return new ReportTrial(record, trials.GroundTruth?[k], File.Exists(files.LowLevel) ? RgbImage.LoadPng(files.LowLevel) : null, final, candidates, null, null, k);
    }).ToArray();

    var notes = new List<string>();
    if (evaluationBundle?.Weights.Where(w => w.Value.StartsWith("random", StringComparison.Ordinal)).Select(w => w.Key).ToArray() is { Length: > 0 } random)
    {
        notes.Add($"The evaluation networks {string.Join(", ", random)} have random weights (a CI bundle): their rows prove the protocol, not the images.");
    }

    EvaluationResult? evaluation = null;
    if (trials.GroundTruth is not null && rows.Length > 0)
    {
        var evaluator = new ReconstructionEvaluator(evaluationBundle);
        evaluation = RunEvaluation.Run(decoder, trials, rows, evaluator, meanImage, request.Seed, noRetrieval, notes, cancellationToken);
        rows = rows.Select((r, i) => r with { PixCorr = evaluation.PerTrial[i]["pixcorr"], Ssim = evaluation.PerTrial[i]["ssim"] }).ToArray();
    }

    var table = new Table().AddColumn("metric");
    foreach (var column in RunEvaluation.Columns)
    {
        table.AddColumn(column.Replace('_', ' '));
    }

    foreach (var row in evaluation?.Rows ?? [])
    {
        table.AddRow([Markup.Escape(row.Name), .. RunEvaluation.Columns.Select(c => row.Values[c] is { } v ? ReportWriter.Format(v) : "-")]);
    }

    AnsiConsole.MarkupLineInterpolated($"{rows.Length} trials; chosen candidate's voting score (mean) {(rows.Length > 0 ? ReportWriter.Format(rows.Average(r => r.Result.ChosenScore)) : "-")}.");
    if (evaluation is not null)
    {
        AnsiConsole.Write(table);
        foreach (var retrieval in new[] { evaluation.Retrieval300, evaluation.RetrievalFull })
        {
            if (retrieval is not null)
            {
                AnsiConsole.MarkupLineInterpolated($"{retrieval.Pool}-way retrieval top-1 ({retrieval.Draws} draws): image {ReportWriter.Format(retrieval.Image)}, brain {ReportWriter.Format(retrieval.Brain)} (chance {ReportWriter.Format(retrieval.Chance)}).");
            }
        }
    }
    else if (trials.GroundTruth is null)
    {
        AnsiConsole.MarkupLineInterpolated($"[yellow]{TrialSet.NoGroundTruth}[/]");
    }

    foreach (var note in notes)
    {
        AnsiConsole.MarkupLineInterpolated($"[yellow]{note}[/]");
    }

    var run = new MetricsDocument.RunInfo(
        expectedSubject,
        dataPath,
        bundlePath,
        identity.Bundle,
        evaluationBundle?.RootPath,
        evaluationBundle is null ? null : "sha256:" + evaluationBundle.Sha256,
        evaluationBundle?.Weights ?? new Dictionary<string, string>(),
        Settings(rows.FirstOrDefault()?.Result.Settings ?? request, nonFinite, trials.SkippedRows),
        parse.GetValue(deviceOption)!,
        Providers(decoder, evaluationBundle),
        shardCount > 1 ? $"{shardIndex}/{shardCount}" : null,
        meanImagePath);
    var document = MetricsDocument.Build(run, rows.Length, trials.GroundTruth is not null, rows.Length > 0 ? rows.Average(r => r.Result.ChosenScore) : null, evaluation, notes, StageTimings.Summarise(rows.Select(r => r.Result)));

    // A shard writes its own metrics, grid and report (metrics.shard0of4.json, …); after every shard finished, one run
    // with --resume and no --shard evaluates all trials into metrics.json, grid.png and report.html (README.md).
    var suffix = shardCount > 1 ? $".shard{shardIndex}of{shardCount}" : "";
    await AtomicFile.WriteAllTextAsync(Path.Combine(output, $"metrics{suffix}.json"), MetricsDocument.Serialize(document), cancellationToken);
    await AtomicFile.WriteAllTextAsync(Path.Combine(output, $"trials{suffix}.jsonl"), string.Concat(rows.Select((r, i) => MetricsDocument.TrialLine(r, evaluation?.PerTrial[i]) + "\n")), cancellationToken);
    var gridRows = rows.Take(ReportWriter.GridTrials).Select(r => (IReadOnlyList<RgbImage?>)(r.Truth is null ? [r.LowLevel, r.Final] : [r.Truth, r.LowLevel, r.Final])).ToArray();
    if (gridRows.Length > 0)
    {
        AtomicFile.WritePng(Path.Combine(output, $"grid{suffix}.png"), ImageGrid.Compose(gridRows, spacing: 4, background: (255, 255, 255)));
    }

    var importance = parse.GetValue(explainOption) ? Explain(decoder, dataPath, subject, trials, output, cancellationToken) : null;
    var source = trials.Description + (shardCount > 1 ? $"; shard {shardIndex}/{shardCount} only." : ".");
    ReportWriter.Write(Path.Combine(output, $"report{suffix}.html"), $"FmriToImage — {expectedSubject}, {request.Pipeline}", source, trials.GroundTruth is not null, document, evaluation, notes, rows, importance);
    AnsiConsole.MarkupLineInterpolated($"Wrote {Path.GetFullPath(output)}: grid{suffix}.png, metrics{suffix}.json, trials{suffix}.jsonl, report{suffix}.html, trials/{(importance is null ? "" : ", " + string.Join(", ", ImportanceReport.Files))}.");
    return ExitCodes.Success;
}

// --explain: the leave-one-ROI-out map of every trial of the run, over the data root's atlases.
static ImportanceReport.Summary Explain(BrainDecoder decoder, string dataPath, int subject, TrialSet trials, string output, CancellationToken cancellationToken)
{
    var atlases = ImportanceReport.NsdAtlasFiles(dataPath, subject).Select(f => RoiAtlas.Load(f.Volume, f.Table)).ToArray();
    var clock = System.Diagnostics.Stopwatch.StartNew();
    var map = decoder.Explain(trials.Voxels, atlases, cancellationToken: cancellationToken);
    var seconds = clock.Elapsed.TotalSeconds;
    var perturbations = map.TrialCount * map.Regions.Count;
    AnsiConsole.MarkupLineInterpolated($"Importance: {map.TrialCount} trials × {map.Regions.Count} ROIs in {seconds:F2} s ({perturbations / seconds:F0} perturbations/s); top: {string.Join(", ", map.Ranking().Take(5))}.");
    return ImportanceReport.Write(output, map, atlases, decoder.NsdgeneralMaskPath!, trials.Labels, seconds);
}

// The settings a run used, as metrics.json records them: the request, --nonfinite and the rows it left out.
static Dictionary<string, System.Text.Json.Nodes.JsonNode?> Settings(ReconstructionRequest request, string nonFinite, IReadOnlyList<int> skippedRows) => new()
{
    ["pipeline"] = request.Pipeline.ToString(),
    ["steps"] = request.Steps,
    ["strength"] = request.Strength,
    ["guidance"] = request.Guidance,
    ["samples"] = request.Samples,
    ["seed"] = request.Seed,
    ["nonfinite"] = nonFinite,
    ["skipped_rows"] = new System.Text.Json.Nodes.JsonArray([.. skippedRows.Select(r => System.Text.Json.Nodes.JsonValue.Create(r))]),
};


// Where each opened component ran (ONNX Runtime's graph assignment).
static Dictionary<string, string> Providers(BrainDecoder decoder, EvaluationBundle? evaluationBundle)
{
    var providers = new Dictionary<string, string>();
    foreach (var network in decoder.Networks)
    {
        providers[network.Name] = ProvidersOf(network);
    }

    foreach (var (name, device) in evaluationBundle?.Devices ?? new Dictionary<string, string>())
    {
        providers["evaluation/" + name] = device;
    }

    return providers;

    // What the session was created with, and a --device auto fallback to CPU with its reason (never silent).
    static string ProvidersOf(DecoderNetwork component) =>
        string.Join("+", component.ExecutionProviders)
        + (component.ExecutionProviderFallbackReason is { } reason ? $" (fallback from CUDA: {reason})" : "");
}
