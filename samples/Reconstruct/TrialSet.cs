using FmriToImage.Data;
using FmriToImage.Data.Algonauts;
using FmriToImage.Data.Atlas;
using FmriToImage.Data.Nsd;
using FmriToImage.Imaging;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// The trials the job reconstructs: from an NSD-layout root, the subject's shared test images (repetitions averaged, and
/// every repeat kept for MindEye2's rule) with the images seen; from an Algonauts 2023 subject folder, its test split (else its training split), hemispheres
/// concatenated left then right, with its images; from a single file (<see cref="TrialFile"/>), its rows, with the
/// images seen when --images and --image-ids say which, and without the rows --nonfinite skip-trial leaves out.
/// </summary>
/// <param name="Keys">Per trial, the name its outputs are stored under in out/trials/ (nsd-&lt;nsdId&gt; or row-&lt;row&gt;).</param>
/// <param name="Labels">Per trial, how the report names it ("nsdId 13", "row 0").</param>
/// <param name="Voxels">One row per trial, in the bundle's voxel order.</param>
/// <param name="GroundTruth">The image seen in each trial, or null when the data carry none.</param>
/// <param name="Description">What the trials are, for the console and the report.</param>
internal sealed record TrialSet(string[] Keys, string[] Labels, VoxelMatrix Voxels, RgbImage[]? GroundTruth, string Description)
{
    /// <summary>NSD root: every repeat's voxels (one row per trial, grouped by test image); null for other data.</summary>
    public VoxelMatrix? Repeats { get; init; }

    /// <summary>NSD root: for each row of <see cref="Repeats"/>, the index of its image among the trials (<see cref="Keys"/>).</summary>
    public IReadOnlyList<int>? RepeatImages { get; init; }

    /// <summary>
    /// The repeats of <paramref name="images"/> (indices into <see cref="Keys"/>), in that order, with each row's image:
    /// what <see cref="BrainDecoder.ReconstructImagesAsync"/> takes.
    /// </summary>
    public (VoxelMatrix Rows, int[] Images) RepeatsOf(IReadOnlyList<int> images)
    {
        var byImage = Enumerable.Range(0, RepeatImages!.Count).ToLookup(r => RepeatImages[r]);
        var rows = images.SelectMany(k => byImage[k]).ToArray();
        return (Repeats!.SelectRows(rows), rows.Select(r => RepeatImages[r]).ToArray());
    }

    /// <summary>
    /// The brain's retrieval embedding of each of <paramref name="images"/> under MindEye2's rule: every repeat embedded
    /// on its own, padded to the most repeats any of them has by duplicating its repeats in order, and averaged.
    /// </summary>
    public float[] RepeatAveragedEmbedding(BrainDecoder decoder, IReadOnlyList<int> images, string? subject)
    {
        var byImage = Enumerable.Range(0, RepeatImages!.Count).ToLookup(r => RepeatImages[r]);
        var most = images.Max(k => byImage[k].Count());
        var rows = images.SelectMany(k => Enumerable.Range(0, most).Select(r => byImage[k].ElementAt(r % byImage[k].Count()))).ToArray();
        var each = decoder.EmbedBrain(Repeats!.SelectRows(rows), subject);
        var width = each.Length / rows.Length;
        var means = new float[images.Count * width];
        for (var i = 0; i < images.Count; i++)
        {
            var mean = means.AsSpan(i * width, width);
            for (var r = 0; r < most; r++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(mean, each.AsSpan(((i * most) + r) * width, width), mean);
            }

            System.Numerics.Tensors.TensorPrimitives.Divide(mean, most, mean);
        }

        return means;
    }

    /// <summary>The rows of a single file that --nonfinite skip-trial left out (they hold NaN or ∞), in file order; empty otherwise.</summary>
    public IReadOnlyList<int> SkippedRows { get; init; } = [];

    /// <summary>What the console and the report say when there is no ground truth.</summary>
    public const string NoGroundTruth =
        "No ground truth: a single data file carries no trial → image table, so there are no seen images to compare with; "
        + "PixCorr, SSIM, two-way identification and retrieval are not computed.";

    /// <summary>
    /// Loads the trials of <paramref name="dataPath"/> (a folder: Algonauts or NSD layout; a file: <see cref="TrialFile"/>).
    /// With <paramref name="roiSet"/> (Algonauts folders only), every vertex outside the set's ROIs is zeroed.
    /// </summary>
    /// <param name="dataPath">The --data folder or file.</param>
    /// <param name="decoder">The decoder (voxel count, mask).</param>
    /// <param name="subject">The subject number.</param>
    /// <param name="limit">--limit: the first N trials.</param>
    /// <param name="roiSet">--roi-set, or null.</param>
    /// <param name="rows">--rows: these rows of a single file, or null.</param>
    /// <param name="images">--images: the seen images of a single file's trials, or null.</param>
    /// <param name="imageIds">--image-ids: row → image, with <paramref name="images"/>.</param>
    /// <param name="nonFinite">--nonfinite: what a single file's NaN and ∞ values do (folders: only Reject).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static async Task<TrialSet> LoadAsync(string dataPath, BrainDecoder decoder, int subject, int? limit, RoiSet? roiSet, int[]? rows, string? images, string? imageIds,
        NonFiniteHandling nonFinite, CancellationToken cancellationToken)
    {
        if (nonFinite != NonFiniteHandling.Reject && Directory.Exists(dataPath))
        {
            throw new UsageException("--nonfinite", "zero and skip-trial apply to a single trial file; a --data folder's trials must be finite (NaN or ∞ there exits 4)");
        }

        if ((images is null) != (imageIds is null))
        {
            throw new UsageException(images is null ? "--image-ids" : "--images", "--images and --image-ids go together: the images, and which one each trial row saw");
        }

        if (AlgonautsSubject.IsSubjectFolder(dataPath))
        {
            if (rows is not null || images is not null)
            {
                throw new UsageException(rows is not null ? "--rows" : "--images", "applies to a single trial file; an Algonauts subject folder brings its own images");
            }

            return LoadAlgonauts(dataPath, decoder, limit, roiSet);
        }

        if (roiSet is not null)
        {
            throw new ArgumentException($"--roi-set needs an Algonauts 2023 subject folder as --data (its roi_masks/ name the ROIs); '{dataPath}' is not one.", nameof(roiSet));
        }

        if (Directory.Exists(dataPath))
        {
            if (rows is not null || images is not null)
            {
                throw new UsageException(rows is not null ? "--rows" : "--images", "applies to a single trial file; an NSD-layout --data folder brings its own test images");
            }

            var test = NsdTestSet.Load(dataPath, subject, limit);
            return new TrialSet(
                test.ImageIds.Select(id => $"nsd-{id:D5}").ToArray(),
                test.ImageIds.Select(id => $"nsdId {id}").ToArray(),
                test.Voxels,
                test.GroundTruth,
                $"{test.ImageIds.Length} shared test images of subj{subject:00} in '{dataPath}' ({test.Repeats!.TrialCount} trials)")
            {
                Repeats = test.Repeats,
                RepeatImages = test.RepeatImages,
            };
        }

        var maskPath = decoder.NsdgeneralMaskPathOf($"subj{subject:00}");
        var mask = maskPath is null ? null : VoxelMask.FromNifti(maskPath);
        // With --rows every row is read (the library's limit is the first N rows); with skip-trial, the rows kept are
        // read.Trials (file rows), so every row below is a file row and the images seen follow the file rows kept.
        var read = await TrialFile.ReadAsync(dataPath, decoder.VoxelCountOf($"subj{subject:00}"), mask, VoxelOrder.NumpyXyz, rows is null ? limit : null, nonFinite, null, cancellationToken);
        var asked = rows ?? [.. read.Trials.Concat(read.SkippedTrials).Order()];
        if (asked.FirstOrDefault(r => r >= read.TrialsInFile, -1) is var outside and >= 0)
        {
            throw new UsageException("--rows", $"row {outside} is past the last of the {read.TrialsInFile} trials in '{dataPath}' (rows are 0-based)");
        }

        if (rows is not null && limit is { } first)
        {
            asked = asked.Take(first).ToArray();
        }

        var skipped = read.SkippedTrials.ToHashSet();
        var selected = asked.Where(r => !skipped.Contains(r)).ToArray();
        var matrixRow = read.Trials.Select((fileRow, row) => (fileRow, row)).ToDictionary(p => p.fileRow, p => p.row);
        var how = read.Layout == TrialFileLayout.Matrix
            ? "a trials × voxels matrix, taken as is"
            : $"betas volumes masked with the bundle's {maskPath} and z-scored per voxel over the file's {(nonFinite == NonFiniteHandling.SkipTrial ? "trials without NaN or ∞" : $"{read.TrialsInFile} trials")}";
        var truth = images is null ? null : GroundTruthImages.Load(images, imageIds!, selected);
        var ids = images is null ? null : GroundTruthImages.ReadIds(imageIds!);
        var which = rows is null ? $"rows 0–{asked.Length - 1}" : $"{asked.Length} rows (--rows)";
        var nonFiniteNote = nonFinite switch
        {
            NonFiniteHandling.ReplaceWithZero => "; NaN and ∞ voxels replaced by 0 (--nonfinite zero)",
            NonFiniteHandling.SkipTrial => $"; {asked.Length - selected.Length} of them left out for NaN or ∞ values (--nonfinite skip-trial)",
            _ => "",
        };
        return new TrialSet(
            selected.Select(r => $"row-{r:D6}").ToArray(),
            selected.Select(r => ids is null ? $"row {r}" : $"row {r}, image {ids[r]}").ToArray(),
            rows is null && selected.Length == read.Voxels.TrialCount ? read.Voxels : read.Voxels.SelectRows(selected.Select(r => matrixRow[r]).ToArray()),
            truth,
            $"{which} of the {read.TrialsInFile} trials in '{dataPath}' ({how}){nonFiniteNote}, each reconstructed on its own"
                + (truth is null ? "" : $"; the images seen from '{images}' by --image-ids"))
        {
            SkippedRows = asked.Where(skipped.Contains).ToArray(),
        };
    }

    /// <summary>Whether <paramref name="dataPath"/> is an Algonauts 2023 subject folder (the only data --roi-set applies to).</summary>
    public static bool IsAlgonauts(string dataPath) => AlgonautsSubject.IsSubjectFolder(dataPath);

    /// <summary>Parses --roi-set: a preset (Set1, Set2, Set3, any case) or a comma-separated list of ROI names.</summary>
    public static RoiSet ParseRoiSet(string text)
    {
        var preset = new[] { RoiSet.Set1, RoiSet.Set2, RoiSet.Set3 }.FirstOrDefault(s => string.Equals(s.Name, text.Trim(), StringComparison.OrdinalIgnoreCase));
        if (preset is not null)
        {
            return preset;
        }

        var names = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        return names.Length > 0 ? new RoiSet("custom", names) : throw new ArgumentException("--roi-set is empty: pass Set1, Set2, Set3 or ROI names separated by commas.", nameof(text));
    }

    private static TrialSet LoadAlgonauts(string folder, BrainDecoder decoder, int? limit, RoiSet? roiSet)
    {
        var subject = AlgonautsSubject.Open(folder);
        string folderName = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        if (folderName.StartsWith("subj", StringComparison.OrdinalIgnoreCase) && !string.Equals(folderName, decoder.Subject, StringComparison.OrdinalIgnoreCase))
        {
            throw new DataShapeException(folder, $"the data of {decoder.Subject}, the subject the bundle decodes", $"a folder named {folderName}");
        }

        var split = subject.HasFmri(AlgonautsSplit.Test) ? AlgonautsSplit.Test : AlgonautsSplit.Training;
        string name = split == AlgonautsSplit.Test ? "test" : "training";
        if (subject.VertexCount != decoder.VoxelCount)
        {
            throw new VoxelCountMismatchException(
                $"The bundle ({decoder.Subject})", decoder.VoxelCount, subject.VertexCount,
                $"lh_{name}_fmri.npy has {subject.LeftVertexCount} and rh_{name}_fmri.npy {subject.RightVertexCount} vertices in '{folder}', concatenated left then right");
        }

        var voxels = subject.ReadFmri(split, limit);
        var images = subject.Images(split).Take(voxels.TrialCount).ToArray();
        if (images.Length != voxels.TrialCount)
        {
            throw new DataShapeException(folder, $"one image per fMRI row ({voxels.TrialCount})", $"{images.Length} images");
        }

        var masking = "";
        if (roiSet is not null)
        {
            bool[] inside = subject.SelectRois(roiSet);
            for (int t = 0; t < voxels.TrialCount; t++)
            {
                var row = voxels.Row(t);
                for (int v = 0; v < row.Length; v++)
                {
                    if (!inside[v])
                    {
                        row[v] = 0;
                    }
                }
            }

            masking = $"; vertices outside {roiSet.Name} ({string.Join(", ", roiSet.Rois)}: {inside.Count(b => b)} of {inside.Length}) zeroed";
        }

        return new TrialSet(
            images.Select(i => $"nsd-{i.NsdIndex:D5}").ToArray(),
            images.Select(i => $"nsdId {i.NsdIndex}").ToArray(),
            voxels,
            images.Select(i => RgbImage.LoadPng(i.Path)).ToArray(),
            $"{voxels.TrialCount} {name} images of the Algonauts subject folder '{folder}' ({subject.LeftVertexCount} left + {subject.RightVertexCount} right vertices, left then right){masking}"
            + (split == AlgonautsSplit.Training ? "; the folder has no test_split/test_fmri/, so these are training images, which the bundle's encoders may have been trained on: their metrics are not a test result" : ""));
    }
}
