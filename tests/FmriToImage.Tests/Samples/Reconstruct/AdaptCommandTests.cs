using FmriToImage.Data.Npy;
using FmriToImage.Tests.Bundle;

namespace FmriToImage.Tests.Samples.Reconstruct;

/// <summary>
/// <c>fmri2img-reconstruct adapt</c> and <c>--subject</c> on the shared fixture bundle (tests/fixtures/make_shared_bundle.py),
/// run as the user runs them: a new subject from a .npy session with image ids, then reconstructed by subject number.
/// </summary>
public sealed class AdaptCommandTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("fmri2img-adapt-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    [Fact]
    public void From_an_nsd_root_a_new_subject_is_adapted_and_every_subject_decodes_its_test_repeats_by_outputs()
    {
        using var source = new TempBundle(TestFiles.Fixture("bundle", "shared"));
        var nsd = TestFiles.Fixture("bundle", "shared_nsd");
        var trained = ReconstructProcess.Run(TestFiles.RepositoryRoot, "--bundle", source.Root, "--subject", "1", "--data", nsd, "--pipeline", "unclip", "--steps", "4", "--samples", "1", "--out", Path.Combine(_work, "subj01"));
        Assert.True(trained.Code == 0, $"exit {trained.Code}:\n{trained.Out}\n{trained.Error}");
        Assert.Contains("each decoded on its own, the voxel encoders' outputs averaged", trained.Out);
        Assert.Contains("3 shared test images of subj01", trained.Out);

        var output = Path.Combine(_work, "with-subj05");
        var adapt = ReconstructProcess.Run(TestFiles.RepositoryRoot, "adapt", "--bundle", source.Root, "--subject", "5", "--data", nsd, "--out-bundle", output);
        Assert.True(adapt.Code == 0, $"exit {adapt.Code}:\n{adapt.Out}\n{adapt.Error}");
        Assert.Contains("36 trials × 25 voxels of 12 shared images", adapt.Error);

        var adapted = ReconstructProcess.Run(TestFiles.RepositoryRoot, "--bundle", output, "--subject", "5", "--data", nsd, "--pipeline", "unclip", "--steps", "4", "--samples", "1", "--out", Path.Combine(_work, "subj05"));
        Assert.True(adapted.Code == 0, $"exit {adapted.Code}:\n{adapted.Out}\n{adapted.Error}");
        Assert.Equal(3, Directory.GetFiles(Path.Combine(_work, "subj05", "trials"), "*.json").Length);
    }

    [Fact]
    public void Adapt_adds_a_subject_that_then_reconstructs_by_number()
    {
        using var source = new TempBundle(TestFiles.Fixture("bundle", "shared"));
        var ids = NpyFile.Read<long>(Path.Combine(source.Root, "shared_space", "image_ids.npy")).ToArray();
        var targets = NpyFile.Read<float>(Path.Combine(source.Root, "shared_space", "targets.npy")).ToArray();
        var random = new Random(3);
        const int n = 48, voxels = 22;
        var projection = Enumerable.Range(0, 8 * voxels).Select(_ => (random.NextDouble() * 2) - 1).ToArray();
        var x = new float[n * voxels];
        var lines = new List<string>();
        for (var t = 0; t < n; t++)
        {
            var m = t % ids.Length;
            lines.Add(t == 5 ? "999999" : ids[m].ToString(System.Globalization.CultureInfo.InvariantCulture)); // one trial of an unknown image: left out
            for (var v = 0; v < voxels; v++)
            {
                x[(t * voxels) + v] = (float)(Enumerable.Range(0, 8).Sum(h => targets[(m * 8) + h] * projection[(h * voxels) + v]) + (0.01 * random.NextDouble()));
            }
        }

        var data = Path.Combine(_work, "session.npy");
        var idsFile = Path.Combine(_work, "ids.txt");
        NpyFile.Write<float>(data, x, [n, voxels]);
        File.WriteAllLines(idsFile, lines);
        var output = Path.Combine(_work, "adapted");

        var (code, stdout, stderr) = ReconstructProcess.Run(TestFiles.RepositoryRoot, "adapt", "--bundle", source.Root, "--subject", "5", "--data", data, "--image-ids", idsFile, "--out-bundle", output);
        Assert.True(code == 0, $"exit {code}:\n{stdout}\n{stderr}");
        Assert.Contains("subj05 adapted", stdout);
        Assert.Contains("47 trials × 22 voxels of 12 shared images", stderr);
        Assert.True(File.Exists(Path.Combine(output, "subjects", "subj05", "adapter_weight.npy")));

        var again = ReconstructProcess.Run(TestFiles.RepositoryRoot, "adapt", "--bundle", source.Root, "--subject", "5", "--data", data, "--image-ids", idsFile, "--out-bundle", output);
        Assert.True(again.Code == 5, $"exit {again.Code}:\n{again.Error}");
        Assert.Contains("exists", again.Error);

        var run = ReconstructProcess.Run(TestFiles.RepositoryRoot, "--bundle", output, "--subject", "5", "--data", data, "--limit", "2", "--pipeline", "unclip", "--steps", "4", "--samples", "1", "--out", Path.Combine(_work, "out"));
        Assert.True(run.Code == 0, $"exit {run.Code}:\n{run.Out}\n{run.Error}");
        Assert.True(File.Exists(Path.Combine(_work, "out", "trials", "row-000001.png")) || Directory.GetFiles(Path.Combine(_work, "out", "trials")).Length > 0);

        var unknown = ReconstructProcess.Run(TestFiles.RepositoryRoot, "--bundle", output, "--subject", "9", "--data", data, "--limit", "1", "--out", Path.Combine(_work, "out9"));
        Assert.True(unknown.Code == 5, $"exit {unknown.Code}:\n{unknown.Error}");
        Assert.Contains("subj01, subj02, subj03, subj05", unknown.Error);
    }
}
