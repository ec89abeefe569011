using FmriToImage.Data;
using FmriToImage.Data.Atlas;
using FmriToImage.Data.Hdf5;
using FmriToImage.Data.Nsd;

namespace FmriToImage.Tests.Data.Nsd;

/// <summary>
/// The readers on the committed demo data (samples/data/nsd-mini, written by models/forge with h5py and nibabel):
/// the same code path a lab runs on NSD. The z-scores are checked against the MindEye2-style renorm file the forge
/// computed in NumPy from the same betas — an independent reference for the voxel order, the ÷300 convention and the
/// per-session z-scoring.
/// </summary>
public sealed class NsdMiniDataTests
{
    private static readonly string Root = TestFiles.RepoPath("samples", "data", "nsd-mini");

    [Fact]
    public void Session_betas_z_scored_by_the_library_match_the_forges_renorm_file()
    {
        var atlas = RoiAtlas.Load(NsdLayout.RoiPath(Root, 1, "nsdgeneral"), NsdLayout.LabelTablePath(Root, 1, "nsdgeneral"));
        var nsdgeneral = atlas.AnyLabel();

        using var file = Hdf5File.Open(NsdLayout.SessionBetasPath(Root, 1, 1));
        var betas = file.GetDataset("/betas");
        Assert.Equal([750L, 40, 48, 40], betas.Shape);
        Assert.Equal([750L, 1, 1, 1], betas.ChunkShape);

        var matrix = VoxelMatrix.FromHdf5(betas, VoxelSelection.All(nsdgeneral), scale: 1f / NsdLayout.BetaScale);
        Assert.Equal(750, matrix.TrialCount);

        var trials = File.ReadLines(NsdLayout.StimulusInfoPath(Root).Replace("nsd_stim_info_merged.csv", "nsd_trials.csv"))
            .Skip(1)
            .Select(line => line.Split(','))
            .Where(f => f[0] == "1" && f[1] == "1")
            .Select(f => (Trial: int.Parse(f[3]) - 1, Global: int.Parse(f[4]), Test: f[7] == "True"))
            .OrderBy(t => t.Trial)
            .ToArray();
        Assert.Equal(750, trials.Length);

        var standardizer = Standardizer.Fit(matrix, trials.Where(t => !t.Test).Select(t => t.Trial).ToArray(), ddof: 0);
        standardizer.Apply(matrix);

        using var renormFile = Hdf5File.Open(Path.Combine(Root, "betas_all_subj01_fp32_renorm.hdf5"));
        var renorm = renormFile.GetDataset("/betas");
        Assert.Equal(matrix.VoxelCount, renorm.Shape[1]);
        var row = new float[matrix.VoxelCount];
        var compared = 0;
        foreach (var (trial, global, test) in trials.Where(t => t.Test))
        {
            renorm.ReadHyperslab([global, 0], [1, matrix.VoxelCount], [1, 1], row);
            var ours = matrix.Row(trial);
            for (var v = 0; v < row.Length; v++)
            {
                Assert.True(Math.Abs(ours[v] - row[v]) <= 1e-4f * Math.Max(1, Math.Abs(row[v])), $"trial {trial} voxel {v}: library {ours[v]}, forge {row[v]}");
            }

            compared++;
        }

        Assert.True(compared > 50, $"only {compared} test trials in session 1");

        // Rows of training trials are not stored in the mini file: unallocated chunks read as the fill value (NaN).
        var training = trials.First(t => !t.Test);
        renorm.ReadHyperslab([training.Global, 0], [1, matrix.VoxelCount], [1, 1], row);
        Assert.All(row, v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void Voxels_outside_nsdgeneral_read_as_the_fill_value_and_stimuli_of_test_images_are_stored()
    {
        using var file = Hdf5File.Open(NsdLayout.SessionBetasPath(Root, 1, 1));
        var series = new float[750];
        file.GetDataset("/betas").ReadHyperslab([0, 0, 0, 0], [750, 1, 1, 1], [1, 1, 1, 1], series);
        Assert.All(series, v => Assert.Equal(0f, v));

        using var stimuli = Hdf5File.Open(Path.Combine(Root, "nsddata_stimuli", "stimuli", "nsd", "nsd_stimuli.hdf5"));
        var brick = stimuli.GetDataset("/imgBrick");
        Assert.Equal([3000L, 64, 64, 3], brick.Shape);
        var table = File.ReadLines(NsdLayout.StimulusInfoPath(Root)).Skip(1).Select(l => l.Split(',')).ToArray();
        var header = File.ReadLines(NsdLayout.StimulusInfoPath(Root)).First().Split(',');
        var idColumn = Array.IndexOf(header, "nsdId");
        var sharedColumn = Array.IndexOf(header, "shared1000");
        var testImage = int.Parse(table.First(f => f[sharedColumn] == "True")[idColumn]);
        var trainImage = int.Parse(table.First(f => f[sharedColumn] == "False")[idColumn]);
        var pixels = new float[64 * 64 * 3];
        brick.ReadHyperslab([testImage, 0, 0, 0], [1, 64, 64, 3], [1, 1, 1, 1], pixels);
        Assert.Contains(pixels, v => v > 0);
        brick.ReadHyperslab([trainImage, 0, 0, 0], [1, 64, 64, 3], [1, 1, 1, 1], pixels);
        Assert.All(pixels, v => Assert.Equal(0f, v));
    }
}
