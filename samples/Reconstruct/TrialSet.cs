using FmriToImage.Data;
using FmriToImage.Data.Nsd;
using FmriToImage.Imaging;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// The trials the job reconstructs: from an NSD-layout root, the subject's shared test images (repetitions averaged)
/// with the images seen; from a single file (<see cref="TrialFile"/>), its rows, with no ground truth.
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

    /// <summary>Loads the trials of <paramref name="dataPath"/> (a folder: NSD layout; a file: <see cref="TrialFile"/>).</summary>
    public static async Task<TrialSet> LoadAsync(string dataPath, BrainDecoder decoder, int subject, int? limit, CancellationToken cancellationToken)
    {
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
}
