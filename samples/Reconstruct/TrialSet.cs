using FmriToImage.Data;
using FmriToImage.Data.Algonauts;
using FmriToImage.Data.Atlas;
using FmriToImage.Data.Nsd;
using FmriToImage.Imaging;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// The trials the job reconstructs: from an NSD-layout root, the subject's shared test images (repetitions averaged)
/// with the images seen; from an Algonauts 2023 subject folder, its test split (else its training split), hemispheres
/// concatenated left then right, with its images; from a single file (<see cref="TrialFile"/>), its rows, with no
/// ground truth.
/// </summary>
/// <param name="Keys">Per trial, the name its outputs are stored under in out/trials/ (nsd-&lt;nsdId&gt; or row-&lt;row&gt;).</param>
/// <param name="Labels">Per trial, how the report names it ("nsdId 13", "row 0").</param>
/// <param name="Voxels">One row per trial, in the bundle's voxel order.</param>
/// <param name="GroundTruth">The image seen in each trial, or null when the data carry none.</param>
/// <param name="Description">What the trials are, for the console and the report.</param>
internal sealed record TrialSet(string[] Keys, string[] Labels, VoxelMatrix Voxels, RgbImage[]? GroundTruth, string Description)
{
    /// <summary>What the console and the report say when there is no ground truth.</summary>
    public const string NoGroundTruth =
        "No ground truth: a single data file carries no trial → image table, so there are no seen images to compare with; "
        + "PixCorr, SSIM, two-way identification and retrieval are not computed.";

    /// <summary>
    /// Loads the trials of <paramref name="dataPath"/> (a folder: Algonauts or NSD layout; a file: <see cref="TrialFile"/>).
    /// With <paramref name="roiSet"/> (Algonauts folders only), every vertex outside the set's ROIs is zeroed.
    /// </summary>
    public static async Task<TrialSet> LoadAsync(string dataPath, BrainDecoder decoder, int subject, int? limit, RoiSet? roiSet, CancellationToken cancellationToken)
    {
        if (AlgonautsSubject.IsSubjectFolder(dataPath))
        {
            return LoadAlgonauts(dataPath, decoder, limit, roiSet);
        }

        if (roiSet is not null)
        {
            throw new ArgumentException($"--roi-set needs an Algonauts 2023 subject folder as --data (its roi_masks/ name the ROIs); '{dataPath}' is not one.", nameof(roiSet));
        }

        if (Directory.Exists(dataPath))
        {
            var test = NsdTestSet.Load(dataPath, subject, limit);
            return new TrialSet(
                test.ImageIds.Select(id => $"nsd-{id:D5}").ToArray(),
                test.ImageIds.Select(id => $"nsdId {id}").ToArray(),
                test.Voxels,
                test.GroundTruth,
                $"{test.ImageIds.Length} shared test images of subj{subject:00} in '{dataPath}', repetitions averaged");
        }

        var maskPath = decoder.Bundle.Decoder?.Masks.Nsdgeneral;
        var mask = maskPath is null ? null : VoxelMask.FromNifti(decoder.Bundle.ResolvePath(maskPath));
        var read = await TrialFile.ReadAsync(dataPath, decoder.VoxelCount, mask, VoxelOrder.NumpyXyz, limit, null, cancellationToken);
        var rows = Enumerable.Range(0, read.Voxels.TrialCount).ToArray();
        var how = read.Layout == TrialFileLayout.Matrix
            ? "a trials × voxels matrix, taken as is"
            : $"betas volumes masked with the bundle's {maskPath} and z-scored per voxel over the file's {read.TrialsInFile} trials";
        return new TrialSet(
            rows.Select(r => $"row-{r:D6}").ToArray(),
            rows.Select(r => $"row {r}").ToArray(),
            read.Voxels,
            null,
            $"rows 0–{rows.Length - 1} of the {read.TrialsInFile} trials in '{dataPath}' ({how}), each reconstructed on its own");
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
