using System.CommandLine;
using System.Diagnostics;
using FmriToImage.Adaptation;
using FmriToImage.Data;
using FmriToImage.Data.Hdf5;
using FmriToImage.Data.Npy;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// <c>fmri2img-reconstruct adapt</c>: fits a new subject's adapter into a shared-subject bundle from a little data
/// (MindEye2's one session) and writes the bundle with the subject added (docs/adaptation.md). The subject's trials of
/// images the bundle's shared space knows are kept (test images, <c>shared1000</c>, are left out), z-scored per voxel
/// with the session's own statistics (which the bundle then applies when decoding), and regressed onto those images'
/// shared-space targets by <see cref="SubjectAdapter.Fit"/>.
/// </summary>
internal static class AdaptCommand
{
    /// <summary>The subcommand, with its options.</summary>
    public static Command Create()
    {
        var bundle = new Option<string>("--bundle") { Description = "A shared-subject (format_version 2) bundle folder.", Required = true };
        var subject = new Option<int>("--subject") { Description = "The new subject's number (5 = subj05).", Required = true };
        var data = new Option<string>("--data")
        {
            Description = "An NSD-layout root (nsd_trials.csv maps trials to images; betas_all_subjNN_fp32_renorm.hdf5 holds them) or one trial file with --image-ids: a .npy trials × voxels matrix, or with --mask any trial file (e.g. NSD's betas_session01.hdf5 volumes, masked and z-scored per voxel).",
            Required = true,
        };
        var sessions = new Option<int>("--sessions") { Description = "NSD root: use the subject's sessions 1 … N.", DefaultValueFactory = _ => 1 };
        var imageIds = new Option<string?>("--image-ids") { Description = "With a trial file as --data: the image id (nsdId) of each row (a list, a file of ids, or a row,nsdId CSV)." };
        var mask = new Option<string?>("--mask") { Description = "With a trial file as --data: the subject's nsdgeneral mask (volumes are masked with it), copied into the bundle." };
        var outBundle = new Option<string?>("--out-bundle") { Description = "Where to write the bundle with the subject added (default: replace --bundle, atomically)." };
        var folds = new Option<int>("--folds") { Description = "k of the k-fold cross-validation that chooses the ridge penalty.", DefaultValueFactory = _ => 5 };
        var command = new Command("adapt", "Add a new subject to a shared-subject bundle: fit its linear adapter from one session of its trials (closed-form ridge, λ by cross-validation) and write it into the bundle.")
        {
            bundle, subject, data, sessions, imageIds, mask, outBundle, folds,
        };
        command.SetAction((parse, cancellationToken) => Task.FromResult(Run(
            parse.GetValue(bundle)!, parse.GetValue(subject), parse.GetValue(data)!, parse.GetValue(sessions), parse.GetValue(imageIds), parse.GetValue(mask),
            parse.GetValue(outBundle), parse.GetValue(folds), cancellationToken)));
        return command;
    }

    private static int Run(string bundlePath, int subjectNumber, string dataPath, int sessions, string? imageIdsPath, string? maskPath, string? outBundle, int folds, CancellationToken cancellationToken)
    {
        var subject = $"subj{subjectNumber:00}";
        if (!Directory.Exists(bundlePath) || !Path.Exists(dataPath))
        {
            Console.Error.WriteLine($"{(Directory.Exists(bundlePath) ? "--data" : "--bundle")}: '{Path.GetFullPath(Directory.Exists(bundlePath) ? dataPath : bundlePath)}' does not exist.");
            return ExitCodes.PathNotFound;
        }

        try
        {
            using var decoder = BrainDecoder.Load(bundlePath);
            if (decoder.SharedImageIds.Count == 0)
            {
                Console.Error.WriteLine($"--bundle '{bundlePath}' has no shared space to adapt into (a format_version 2 bundle with shared_space.targets and image_ids).");
                return ExitCodes.Usage;
            }

            var known = decoder.SharedImageIds.ToHashSet();
            var (voxels, seen, mask, description) = Directory.Exists(dataPath)
                ? ReadNsd(dataPath, subjectNumber, sessions, known)
                : ReadFile(dataPath, imageIdsPath, maskPath, known);
            if (seen.Length < folds)
            {
                Console.Error.WriteLine($"--data '{dataPath}': {seen.Length} trials of {subject} show images of the bundle's shared space; at least --folds {folds} are needed.");
                return ExitCodes.DataDoesNotFitBundle;
            }

            Console.Error.WriteLine($"{subject}: {description}; {seen.Length} trials × {voxels.VoxelCount} voxels of {seen.Distinct().Count()} shared images.");
            var (mean, std) = Standardize(voxels);
            var targets = decoder.SharedSpaceTargets(seen);
            var clock = Stopwatch.StartNew();
            var progress = new Progress<(SubjectAdapterStage Stage, int Done, int Total)>(p =>
            {
                if (p.Done == p.Total)
                {
                    Console.Error.WriteLine($"  {p.Stage}: done ({clock.Elapsed.TotalSeconds:F1} s)");
                }
            });
            var fit = SubjectAdapter.Fit(voxels, targets, decoder.SharedSpaceWidth, new SubjectAdapterOptions { Folds = folds }, progress, cancellationToken);
            var score = fit.CrossValidation.First(c => c.Lambda == fit.Lambda).MeanCorrelation;
            var output = outBundle ?? bundlePath;
            decoder.AddAdaptedSubject(subject, fit, output, mask, mean, std, seen.Length, seen.Distinct().Count());
            Console.WriteLine($"{subject} adapted: λ = {fit.Lambda:G4}, cross-validated r = {score:F3} ({folds} folds), {clock.Elapsed.TotalSeconds:F1} s; written to '{Path.GetFullPath(output)}'.");
            return ExitCodes.Success;
        }
        catch (Exception e) when (ExitCodes.Of(e, refusedArgument: ExitCodes.DataDoesNotFitBundle, unreadableInput: ExitCodes.DataDoesNotFitBundle) is { } code)
        {
            Console.Error.WriteLine(e is OperationCanceledException ? "Cancelled; the bundle is unchanged." : e.Message);
            return code;
        }
    }

    /// <summary>The subject's trials of sessions 1 … N whose image is in the shared space (test images left out), in time order.</summary>
    private static (VoxelMatrix Voxels, long[] Seen, string? Mask, string Description) ReadNsd(string root, int subject, int sessions, HashSet<long> known)
    {
        var trialsPath = Path.Combine(root, "nsddata", "experiments", "nsd", "nsd_trials.csv");
        var renormPath = Path.Combine(root, $"betas_all_subj{subject:00}_fp32_renorm.hdf5");
        foreach (var path in new[] { trialsPath, renormPath })
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"--data '{root}' has no {Path.GetRelativePath(root, path)} (subject {subject:00}); expected an NSD-layout root.", path);
            }
        }

        var lines = File.ReadLines(trialsPath).ToArray();
        var header = lines[0].Split(',');
        int Column(string name) => Array.IndexOf(header, name) is var i and >= 0 ? i : throw new FormatException($"{trialsPath}: no column '{name}'.");
        int subjectColumn = Column("subject"), sessionColumn = Column("session"), globalColumn = Column("global_trial"), imageColumn = Column("nsdId"), sharedColumn = Column("shared1000");
        var rows = lines.Skip(1).Select(l => l.Split(','))
            .Where(f => int.Parse(f[subjectColumn]) == subject && int.Parse(f[sessionColumn]) <= sessions && f[sharedColumn] != "True" && known.Contains(long.Parse(f[imageColumn])))
            .Select(f => (Global: long.Parse(f[globalColumn]), Image: long.Parse(f[imageColumn])))
            .ToArray();
        using var renorm = Hdf5File.Open(renormPath);
        var betas = renorm.GetDataset("/betas");
        var voxelCount = (int)betas.Shape[1];
        var values = new float[rows.Length * voxelCount];
        for (var i = 0; i < rows.Length; i++)
        {
            var row = values.AsSpan(i * voxelCount, voxelCount);
            betas.ReadHyperslab([rows[i].Global, 0], [1, voxelCount], [1, 1], row);
            if (!System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(row))
            {
                throw new DataShapeException(renormPath, $"finite betas for subj{subject:00}'s trial {rows[i].Global} (row {rows[i].Global}, image {rows[i].Image})",
                    "NaN or infinite values (a row not stored); pass the session's own betas file as --data with --image-ids and --mask (docs/adaptation.md)");
            }
        }

        var mask = Path.Combine(root, "nsddata", "ppdata", $"subj{subject:00}", "func1pt8mm", "roi", "nsdgeneral.nii.gz");
        return (new VoxelMatrix(values, rows.Length, voxelCount), rows.Select(r => r.Image).ToArray(), File.Exists(mask) ? mask : null,
            $"sessions 1–{sessions} of '{root}' (shared1000 test images left out)");
    }

    /// <summary>
    /// A single trial file with one image id per row (--image-ids: a list, a file of ids, or a row,nsdId CSV): with
    /// --mask, any file the library's <see cref="TrialFile"/> reads (NSD's betas_sessionNN volumes are masked and
    /// z-scored per voxel over the file); without, a .npy trials × voxels matrix. Rows whose image the shared space
    /// lacks are left out.
    /// </summary>
    private static (VoxelMatrix Voxels, long[] Seen, string? Mask, string Description) ReadFile(string path, string? imageIdsPath, string? mask, HashSet<long> known)
    {
        if (imageIdsPath is null)
        {
            throw new UsageException("--image-ids", "is needed with a single --data file: the image id (nsdId) of each row");
        }

        VoxelMatrix all;
        if (mask is not null)
        {
            var voxelMask = VoxelMask.FromNifti(mask);
            all = TrialFile.ReadAsync(path, voxelMask.Count, voxelMask).GetAwaiter().GetResult().Voxels;
        }
        else
        {
            var matrix = NpyFile.ReadAsSingle(path);
            if (matrix.Rank != 2)
            {
                throw new DataShapeException(path, "a trials × voxels matrix (or pass --mask to read volumes)", $"an array of rank {matrix.Rank}");
            }

            all = new VoxelMatrix(matrix.ToArray(), (int)matrix.Lengths[0], (int)matrix.Lengths[1]);
        }

        var ids = GroundTruthImages.ReadIds(imageIdsPath);
        var missing = Enumerable.Range(0, all.TrialCount).FirstOrDefault(t => !ids.ContainsKey(t), -1);
        if (missing >= 0)
        {
            throw new UsageException("--image-ids", $"names no image for row {missing} of '{path}' ({all.TrialCount} rows)");
        }

        var image = Enumerable.Range(0, all.TrialCount).Select(t => long.Parse(ids[t], System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var keep = Enumerable.Range(0, all.TrialCount).Where(t => known.Contains(image[t])).ToArray();
        return (all.SelectRows(keep), keep.Select(t => image[t]).ToArray(), mask,
            $"{keep.Length} of the {all.TrialCount} rows of '{path}' (the others' images are not in the shared space)");
    }

    /// <summary>z-scores every column in place with its mean and standard deviation (float64, ddof 0; a constant column keeps std 1).</summary>
    private static (float[] Mean, float[] Std) Standardize(VoxelMatrix voxels)
    {
        int n = voxels.TrialCount, v = voxels.VoxelCount;
        var sum = new double[v];
        var squares = new double[v];
        for (var t = 0; t < n; t++)
        {
            var row = voxels.Row(t);
            for (var j = 0; j < v; j++)
            {
                sum[j] += row[j];
                squares[j] += (double)row[j] * row[j];
            }
        }

        var mean = new float[v];
        var std = new float[v];
        for (var j = 0; j < v; j++)
        {
            var m = sum[j] / n;
            var s = Math.Sqrt(Math.Max(0, (squares[j] / n) - (m * m)));
            mean[j] = (float)m;
            std[j] = s > 1e-8 ? (float)s : 1f;
        }

        for (var t = 0; t < n; t++)
        {
            var row = voxels.Row(t);
            for (var j = 0; j < v; j++)
            {
                row[j] = (row[j] - mean[j]) / std[j];
            }
        }

        return (mean, std);
    }
}
