using FmriToImage.Data;
using FmriToImage.Data.Atlas;
using FmriToImage.Samples.Reconstruct;

namespace FmriToImage.Tests.Samples.Reconstruct;

/// <summary>
/// The main job's trials from the demo's Algonauts-layout folder (samples/data/algonauts-mini, written by
/// models/forge/algonauts.py from the NSD-layout mini set) against the same trials from the NSD layout: the
/// left-then-right vectors, keys and seen images must be identical, so the demo bundle decodes both layouts alike.
/// </summary>
public sealed class TrialSetTests : IDisposable
{
    private readonly BrainDecoder _decoder = BrainDecoder.Load(TestFiles.RepoPath("models", "demo"));

    private static string Algonauts => TestFiles.RepoPath("samples", "data", "algonauts-mini", "subj01");

    public void Dispose() => _decoder.Dispose();

    [Fact]
    public async Task The_algonauts_layout_gives_the_nsd_layouts_trials_bit_for_bit()
    {
        var nsd = await TrialSet.LoadAsync(TestFiles.RepoPath("samples", "data", "nsd-mini"), _decoder, 1, 12, null, null, null, null, NonFiniteHandling.Reject, CancellationToken.None);
        var algonauts = await TrialSet.LoadAsync(Algonauts, _decoder, 1, 12, null, null, null, null, NonFiniteHandling.Reject, CancellationToken.None);

        Assert.Equal(nsd.Keys, algonauts.Keys);
        Assert.Equal(nsd.Labels, algonauts.Labels);
        Assert.Equal(nsd.Voxels.Values.ToArray(), algonauts.Voxels.Values.ToArray());
        Assert.Equal(nsd.GroundTruth!.Select(i => i.Pixels.ToArray()), algonauts.GroundTruth!.Select(i => i.Pixels.ToArray()));
    }

    [Fact]
    public async Task A_roi_set_zeroes_every_vertex_outside_its_rois()
    {
        var all = await TrialSet.LoadAsync(Algonauts, _decoder, 1, 3, null, null, null, null, NonFiniteHandling.Reject, CancellationToken.None);
        var set1 = await TrialSet.LoadAsync(Algonauts, _decoder, 1, 3, TrialSet.ParseRoiSet("set1"), null, null, null, NonFiniteHandling.Reject, CancellationToken.None);
        var bundleSet1 = FmriToImage.Data.Npy.NpyFile.ReadAsSingle(TestFiles.RepoPath("models", "demo", "masks", "set1_indices.npy"))
            .Select(v => (int)v).ToHashSet();

        for (int t = 0; t < 3; t++)
        {
            var row = all.Voxels.Row(t).ToArray();
            var masked = set1.Voxels.Row(t).ToArray();
            for (int v = 0; v < row.Length; v++)
            {
                Assert.Equal(bundleSet1.Contains(v) ? row[v] : 0f, masked[v]);
            }
        }
    }

    [Theory]
    [InlineData("Set2", "Set2")]
    [InlineData(" set3 ", "Set3")]
    [InlineData("V1v, FFA-1", "custom")]
    public void Roi_sets_are_presets_in_any_case_or_lists_of_names(string text, string name)
    {
        RoiSet set = TrialSet.ParseRoiSet(text);

        Assert.Equal(name, set.Name);
        if (name == "custom")
        {
            Assert.Equal(["V1v", "FFA-1"], set.Rois);
        }
    }

    [Fact]
    public async Task A_roi_set_on_other_data_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => TrialSet.LoadAsync(TestFiles.RepoPath("samples", "data", "nsd-mini"), _decoder, 1, 1, RoiSet.Set1, null, null, null, NonFiniteHandling.Reject, CancellationToken.None));
    }

    [Fact]
    public async Task A_folder_whose_hemispheres_do_not_add_up_to_the_bundles_voxels_is_refused_naming_both_files()
    {
        using var tiny = BrainDecoder.Load(TestFiles.Fixture("bundle", "tiny"));

        var e = await Assert.ThrowsAsync<VoxelCountMismatchException>(() => TrialSet.LoadAsync(Algonauts, tiny, 1, 1, null, null, null, null, NonFiniteHandling.Reject, CancellationToken.None));

        Assert.Contains("lh_test_fmri.npy has 1262", e.Message, StringComparison.Ordinal);
        Assert.Contains("rh_test_fmri.npy 1272", e.Message, StringComparison.Ordinal);
    }
}
