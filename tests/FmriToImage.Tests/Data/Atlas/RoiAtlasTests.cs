using System.Text.Json;
using FmriToImage.Data;
using FmriToImage.Data.Atlas;

namespace FmriToImage.Tests.Data.Atlas;

/// <summary>ROI masks and sets against tests/fixtures/data/make_atlas_fixtures.py (NumPy boolean indexing of nibabel arrays).</summary>
public class RoiAtlasTests
{
    private sealed record Manifest(int[] Grid, Dictionary<string, int[]> Sets, int[] Nsdgeneral);

    private static readonly Manifest Expected = JsonSerializer.Deserialize<Manifest>(
        File.ReadAllText(DataFixtures.Path("atlas", "manifest.json")), new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;

    internal static RoiAtlas Load(string name) => RoiAtlas.Load(DataFixtures.Path("atlas", name + ".nii.gz"),
        DataFixtures.Path("atlas", name + (name == "floc-places" ? ".json" : ".mgz.ctab")));

    internal static IReadOnlyList<RoiAtlas> All() =>
        new[] { "prf-visualrois", "floc-faces", "floc-bodies", "floc-places", "streams" }.Select(Load).ToArray();

    internal static VoxelMask NsdGeneral() =>
        RoiAtlas.Load(DataFixtures.Path("atlas", "nsdgeneral.nii.gz"), DataFixtures.Path("atlas", "prf-visualrois.mgz.ctab")).AnyLabel();

    [Theory]
    [InlineData("Set1")]
    [InlineData("Set2")]
    [InlineData("Set3")]
    public void Named_sets_select_the_numpy_voxels_in_numpy_order(string set)
    {
        RoiSet roiSet = set switch { "Set1" => RoiSet.Set1, "Set2" => RoiSet.Set2, _ => RoiSet.Set3 };
        var (indices, kept) = roiSet.Select(All()).Resolve(VoxelOrder.NumpyXyz);
        Assert.Equal(Expected.Sets[set], indices);
        Assert.All(kept, Assert.True);
    }

    [Fact]
    public void Sets_are_exactly_the_issue_lists()
    {
        Assert.Equal("V1v V1d V2v V2d V3v V3d hV4 FFA-1 FFA-2 PPA", string.Join(' ', RoiSet.Set1.Rois));
        Assert.Equal("EBA FBA-1 FBA-2 mTL-bodies OFA FFA-1 FFA-2 mTL-faces aTL-faces OPA PPA RSC", string.Join(' ', RoiSet.Set2.Rois));
        Assert.Equal("early midventral midlateral midparietal ventral lateral parietal", string.Join(' ', RoiSet.Set3.Rois));
    }

    [Fact]
    public void Nsdgeneral_excludes_zero_and_minus_one()
    {
        Assert.Equal(Expected.Nsdgeneral, NsdGeneral().Indices());
    }

    [Fact]
    public void On_disk_order_is_ascending_flat_index()
    {
        var mask = Load("prf-visualrois").Mask("V1v", "hV4");
        int[] disk = mask.Indices(VoxelOrder.OnDisk);
        Assert.Equal(disk.Order(), disk);
        Assert.Equal(disk.Order(), mask.Indices(VoxelOrder.NumpyXyz).Order());
    }

    [Fact]
    public void Unknown_roi_lists_the_known_ones()
    {
        var ex = Assert.Throws<UnknownRoiException>(() => Load("prf-visualrois").Mask("V1v", "V9"));
        Assert.Contains("V9", ex.Message);
        Assert.Contains("hV4", ex.Message);
        var ex2 = Assert.Throws<UnknownRoiException>(() => RoiAtlas.Union(All(), ["nope"]));
        Assert.Contains("parietal", ex2.Message);
    }

    [Fact]
    public void Union_and_intersection()
    {
        var a = Load("prf-visualrois").Mask("V1v");
        var b = Load("floc-faces").Mask("FFA-1");
        Assert.True(a.Union(b).Count >= Math.Max(a.Count, b.Count));
        Assert.Equal(a.Count + b.Count - a.Intersect(b).Count, a.Union(b).Count);
    }

    [Fact]
    public void Label_tables()
    {
        var ctab = RoiLabelTable.ParseCtab("# comment\n0 Unknown\n1 V1v 255 0 0 0\n\n2 V1d\n", "t.ctab");
        Assert.Equal(["V1v", "V1d"], ctab.RoiNames);
        Assert.Throws<FmriToImageException>(() => RoiLabelTable.ParseCtab("x V1v\n", "bad.ctab"));
        Assert.Throws<FmriToImageException>(() => RoiLabelTable.ParseCtab("1 a\n1 b\n", "dup.ctab"));
        Assert.Throws<FmriToImageException>(() => RoiLabelTable.ParseJson("[1, 2]", "bad.json"));
        Assert.Throws<FmriToImageException>(() => RoiLabelTable.ParseJson("{\"a\": \"V1\"}", "bad.json"));
        Assert.Equal(["OPA", "PPA", "RSC"], Load("floc-places").Table.RoiNames);
    }
}
