using FmriToImage.Bundle;
using FmriToImage.Onnx;

namespace FmriToImage.Tests.Bundle;

public sealed class ModelBundleOptionsTests
{
    private static readonly string DemoVoxelEncoder = TestFiles.RepoPath("models", "demo", "voxel_encoders", "lowlevel_all.onnx");

    [Theory]
    [InlineData(BundleComponentKind.VoxelEncoder, 1)]
    [InlineData(BundleComponentKind.TextEncoder, 1)]
    [InlineData(BundleComponentKind.ImageEncoder, 1)]
    [InlineData(BundleComponentKind.CaptionerVision, 1)]
    [InlineData(BundleComponentKind.CaptionerDecoder, 1)]
    [InlineData(BundleComponentKind.SubjectAdapter, 1)]
    [InlineData(BundleComponentKind.Unet, 2)]
    [InlineData(BundleComponentKind.VaeDecoder, 2)]
    [InlineData(BundleComponentKind.Prior, 2)]
    public void When_the_library_chooses_small_encoders_run_on_one_thread_and_the_image_sized_networks_on_one_per_core(BundleComponentKind kind, int expected)
    {
        Assert.True(GraphWeights.IsSmall(DemoVoxelEncoder), "the demo's voxel encoder is a small graph");
        Assert.Equal(expected == 1 ? 1 : 0, new ModelBundleOptions().SettingsFor(kind, DemoVoxelEncoder).IntraOpThreads);
        Assert.Equal(2, new ModelBundleOptions { IntraOpThreads = 2 }.SettingsFor(kind, DemoVoxelEncoder).IntraOpThreads);
    }

    [Fact]
    public void Large_voxel_encoders_and_adapters_open_without_weight_prepacking_when_the_library_chooses()
    {
        var folder = Directory.CreateTempSubdirectory("fmri2img-prepacking-").FullName;
        try
        {
            var large = LargeGraph(folder);
            Assert.Equal("1", new ModelBundleOptions().SettingsFor(BundleComponentKind.VoxelEncoder, large).ConfigEntries["session.disable_prepacking"]);
            Assert.Equal("1", new ModelBundleOptions { IntraOpThreads = 2 }.SettingsFor(BundleComponentKind.SubjectAdapter, large).ConfigEntries["session.disable_prepacking"]);
            Assert.Empty(new ModelBundleOptions().SettingsFor(BundleComponentKind.TextEncoder, large).ConfigEntries);
            Assert.Empty(new ModelBundleOptions().SettingsFor(BundleComponentKind.Unet, large).ConfigEntries);
            Assert.Empty(new ModelBundleOptions().SettingsFor(BundleComponentKind.VoxelEncoder, DemoVoxelEncoder).ConfigEntries);
            Assert.Empty(new ModelBundleOptions { Settings = new SessionSettings() }.SettingsFor(BundleComponentKind.VoxelEncoder, large).ConfigEntries);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_large_encoder_keeps_the_threads_asked_for_and_full_settings_are_taken_as_given()
    {
        var folder = Directory.CreateTempSubdirectory("fmri2img-threads-").FullName;
        try
        {
            var large = LargeGraph(folder);

            Assert.Equal(0, new ModelBundleOptions().SettingsFor(BundleComponentKind.TextEncoder, large).IntraOpThreads);
            Assert.Equal(2, new ModelBundleOptions { Settings = new SessionSettings { IntraOpThreads = 2 } }
                .SettingsFor(BundleComponentKind.VoxelEncoder, DemoVoxelEncoder).IntraOpThreads);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A 1 KiB "graph" beside one byte more than the small-graph size of other files: a large graph to the size rule.</summary>
    private static string LargeGraph(string folder)
    {
        var large = Path.Combine(folder, "model.onnx");
        using (var graph = new FileStream(large, FileMode.Create))
        {
            graph.SetLength(1024);
        }

        using (var data = new FileStream(Path.Combine(folder, "weights.pb"), FileMode.Create))
        {
            data.SetLength(GraphWeights.SmallGraphBytes + 1);
        }

        return large;
    }
}
