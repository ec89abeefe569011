using FmriToImage.Data;
using FmriToImage.Data.Atlas;
using FmriToImage.Data.Nifti;
using FmriToImage.Data.Nsd;
using FmriToImage.Interpretation;

namespace FmriToImage.Tests.Interpretation;

/// <summary>
/// Leave-one-ROI-out on the demo decoder (models/demo) and the demo's test trials (subj01). The simulated subject's
/// tuning is known (docs/demo-world.md, models/forge/subject.py): V1–hV4 carry retinotopic image features with the
/// highest noise ceiling (designed median ncsnr 0.60), the floc-* ROIs category/scene tuning (0.45), and the rest of
/// nsdgeneral weak mixed tuning (0.30).
/// </summary>
public sealed class DemoImportanceTests(DemoWorld world) : IClassFixture<DemoWorld>
{
    private static readonly string Root = TestFiles.RepoPath("samples", "data", "nsd-mini");

    private static readonly string[] Files = ["prf-visualrois", "floc-faces", "floc-bodies", "floc-places"];

    private static readonly string[] Early = ["V1v", "V1d", "V2v", "V2d", "V3v", "V3d", "hV4"];

    private static readonly string[] Category = ["OFA", "FFA-1", "FFA-2", "EBA", "FBA-2", "OPA", "PPA", "RSC"];

    private static RoiAtlas[] Atlases() =>
        Files.Select(f => RoiAtlas.Load(NsdLayout.RoiPath(Root, 1, f), NsdLayout.LabelTablePath(Root, 1, f), f)).ToArray();

    private VoxelMask DecoderVoxels() => VoxelMask.FromNifti(world.Decoder.NsdgeneralMaskPath!);

    [Fact]
    public void Roi_regions_are_the_decoder_columns_of_each_roi()
    {
        // Every named ROI of the demo lies inside nsdgeneral, so each region holds the ROI's voxel count
        // (docs/demo-world.md, subj01): V1v 101, FFA-1 33, PPA 47.
        DecoderRegion[] regions = RoiRegions.FromAtlases(DecoderVoxels(), VoxelOrder.NumpyXyz, Atlases(), ["V1v", "FFA-1", "PPA"]);
        Assert.Equal([101, 33, 47], regions.Select(r => r.Columns.Length));
        Assert.Equal(world.Decoder.VoxelCount, DecoderVoxels().Count);
        Assert.Throws<UnknownRoiException>(() => RoiRegions.FromAtlases(DecoderVoxels(), VoxelOrder.NumpyXyz, Atlases(), ["V9"]));
    }

    [Fact]
    public void Rois_the_simulation_made_informative_matter_more_than_equal_sized_sets_of_weakly_tuned_voxels()
    {
        const int Trials = 24, ControlSize = 60, Controls = 8;
        VoxelMask decoderVoxels = DecoderVoxels();
        RoiAtlas[] atlases = Atlases();
        DecoderRegion[] rois = RoiRegions.FromAtlases(decoderVoxels, VoxelOrder.NumpyXyz, atlases, [.. Early, .. Category]);

        // Controls: random 60-column sets of nsdgeneral voxels in none of the named ROIs (the weakly tuned rest).
        var named = rois.SelectMany(r => r.Columns).ToHashSet();
        int[] rest = Enumerable.Range(0, world.Decoder.VoxelCount).Where(c => !named.Contains(c)).ToArray();
        var random = new Random(21);
        DecoderRegion[] controls = Enumerable.Range(0, Controls)
            .Select(k => new DecoderRegion($"control{k}", random.GetItems(rest, rest.Length).Distinct().Take(ControlSize).ToArray()))
            .ToArray();
        // Equal-sized draws from the early and category ROIs, so size does not decide.
        DecoderRegion Draw(string name, string[] from)
        {
            int[] pool = rois.Where(r => from.Contains(r.Name)).SelectMany(r => r.Columns).Distinct().ToArray();
            return new DecoderRegion(name, random.GetItems(pool, pool.Length * 4).Distinct().Take(ControlSize).ToArray());
        }

        DecoderRegion[] early = Enumerable.Range(0, Controls).Select(k => Draw($"early{k}", Early)).ToArray();
        DecoderRegion[] category = Enumerable.Range(0, Controls).Select(k => Draw($"category{k}", Category)).ToArray();
        VoxelMatrix trials = world.TestSet.Voxels.SelectRows(Enumerable.Range(0, Trials).ToArray());

        RegionImportance result = world.Decoder.ExplainRegions(trials, [.. rois, .. controls, .. early, .. category]);

        float Mean(string prefix) => result.Regions.Select((n, i) => (n, i)).Where(x => x.n.StartsWith(prefix)).Average(x => result.Mean[x.i]);
        float Max(string prefix) => result.Regions.Select((n, i) => (n, i)).Where(x => x.n.StartsWith(prefix)).Max(x => result.Mean[x.i]);
        float Min(string prefix) => result.Regions.Select((n, i) => (n, i)).Where(x => x.n.StartsWith(prefix)).Min(x => result.Mean[x.i]);
        // Measured (24 trials): early draws 5.9e-3 … 1.24e-2, category draws mean 8.0e-3, controls 3.5e-3 … 4.4e-3.
        string table = string.Join(", ", result.Regions.Select((n, i) => $"{n} {result.Mean[i]:E2}"));
        Assert.True(Min("early") > Max("control"), $"early {Min("early"):E3}..{Max("early"):E3} vs control ..{Max("control"):E3}: {table}");
        Assert.True(Mean("category") > Mean("control"), $"category {Mean("category"):E3} vs control {Mean("control"):E3}: {table}");
    }

    [Fact]
    public void The_averaged_map_is_written_in_the_subjects_grid_with_each_rois_importance_on_its_voxels()
    {
        VoxelMask decoderVoxels = DecoderVoxels();
        RoiAtlas[] atlases = Atlases();
        DecoderRegion[] regions = RoiRegions.FromAtlases(decoderVoxels, VoxelOrder.NumpyXyz, atlases, ["V1v", "hV4", "PPA"]);
        VoxelMatrix trials = world.TestSet.Voxels.SelectRows([0, 1, 2]);
        RegionImportance importance = world.Decoder.ExplainRegions(trials, regions);
        string path = Path.Combine(Directory.CreateTempSubdirectory("importance-").FullName, "importance.nii.gz");
        using (var mask = NiftiReader.Open(world.Decoder.NsdgeneralMaskPath!))
        {
            ImportanceVolume.Write(path, mask.Header, importance, regions, decoderVoxels, VoxelOrder.NumpyXyz);
        }

        using var reader = NiftiReader.Open(path);
        Assert.Equal((40, 48, 40), reader.Header.Grid);
        var volume = new float[reader.Header.VoxelsPerVolume];
        reader.ReadVolume(0, volume);
        for (int r = 0; r < regions.Length; r++)
        {
            VoxelMask roi = atlases[r == 2 ? 3 : 0].Mask(regions[r].Name);
            Assert.All(roi.Indices(VoxelOrder.OnDisk), voxel => Assert.Equal(importance.Mean[r], volume[voxel]));
        }

        Assert.Equal(101 + 59 + 47, volume.Count(v => v != 0));
        Assert.All(importance.Mean, m => Assert.True(m > 0));
        Assert.Contains("3 trials", reader.Header.Description);
    }

    [Fact]
    public void Public_explain_maps_every_roi_of_the_atlases_and_writes_the_mean_and_per_trial_maps()
    {
        VoxelMatrix trials = world.TestSet.Voxels.SelectRows([0, 1, 2, 3]);
        var done = new List<int>();
        ImportanceMap map = world.Decoder.Explain(trials, Atlases(), progress: new InlineProgress<int>(done.Add));

        // prf-visualrois (7) + floc-faces (5) + floc-bodies (4) + floc-places (3) named ROIs; those with no voxel in
        // nsdgeneral are left out, so at least the 15 the known-tuning test uses remain.
        Assert.Superset(new HashSet<string>([.. Early, .. Category]), map.Regions.ToHashSet());
        Assert.Equal(4, map.TrialCount);
        Assert.Equal([1, 2, 3, 4], done);
        Assert.Equal(map.Regions.Count, map.Mean.Count);
        Assert.Equal(map.Regions.Count, map.RegionVoxelCounts.Count);
        Assert.Equal(101, map.RegionVoxelCounts[map.Regions.ToList().IndexOf("V1v")]);
        for (int r = 0; r < map.Regions.Count; r++)
        {
            float mean = Enumerable.Range(0, 4).Average(t => map.Trial(t)[r]);
            Assert.Equal(mean, map.Mean[r], 1e-6f);
        }

        Assert.Equal(map.Regions.OrderByDescending(n => map.Mean[map.Regions.ToList().IndexOf(n)]), map.Ranking());
        string folder = Directory.CreateTempSubdirectory("explain-").FullName;
        map.WriteNifti(Path.Combine(folder, "importance.nii.gz"));
        map.WriteTrialsNifti(Path.Combine(folder, "importance_trials.nii.gz"));
        using var mean4 = NiftiReader.Open(Path.Combine(folder, "importance.nii.gz"));
        using var perTrial = NiftiReader.Open(Path.Combine(folder, "importance_trials.nii.gz"));
        Assert.Equal((40, 48, 40), mean4.Header.Grid);
        Assert.Equal(4, perTrial.Header.VolumeCount);
        var volume = new float[mean4.Header.VoxelsPerVolume];
        mean4.ReadVolume(0, volume);
        Assert.Equal(map.Volume(), volume);
        perTrial.ReadVolume(2, volume);
        Assert.Equal(map.Volume(2), volume);
    }

    [Fact]
    public void Public_explain_refuses_bad_arguments_before_the_encoder_runs()
    {
        VoxelMatrix trials = world.TestSet.Voxels.SelectRows([0]);
        RoiAtlas[] atlases = Atlases();
        Assert.Equal("atlases", Assert.Throws<ArgumentException>(() => world.Decoder.Explain(trials, [])).ParamName);
        Assert.Equal("rois", Assert.Throws<ArgumentException>(() => world.Decoder.Explain(trials, atlases, [])).ParamName);
        Assert.Contains("'V1v' is named 2 times", Assert.Throws<ArgumentException>(() => world.Decoder.Explain(trials, atlases, ["V1v", "V1v"])).Message);
        Assert.Throws<UnknownRoiException>(() => world.Decoder.Explain(trials, atlases, ["V9"]));
        Assert.Throws<VoxelCountMismatchException>(() => world.Decoder.Explain(new VoxelMatrix(new float[10], 1, 10), atlases));
        Assert.Throws<ArgumentOutOfRangeException>(() => world.Decoder.Explain(trials, atlases, ["V1v"]).Trial(1));
    }
}
