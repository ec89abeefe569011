using System.Text.Json;
using FmriToImage.Diffusion;
using FmriToImage.Models;
using FmriToImage.Onnx;

namespace FmriToImage.Tests.Pipelines;

/// <summary>
/// The contract of <c>models/demo-mindeye2</c> (written by <c>python3 -m models.forge.mindeye2_demo</c>; docs/pipelines.md,
/// "MindEye2 on its own demo bundle"): a UNet with SDXL's added conditions (text_embeds, time_ids) recognised from its
/// graph and config, MindEye2's sgm Euler-EDM scheduler, and the mindeye2 pipeline reconstructing a trial deterministically.
/// </summary>
public sealed class DemoMindEye2BundleTests
{
    private static readonly string Root = TestFiles.RepoPath("models", "demo-mindeye2");

    [Fact]
    public void The_bundle_loads_with_its_unet_added_inputs_and_the_sgm_euler_edm_scheduler()
    {
        using var decoder = BrainDecoder.Load(Root);
        Assert.Contains(ReconstructionPipeline.MindEye2, decoder.AvailablePipelines);

        using var session = GraphSession.Open(Path.Combine(Root, "unet", "model.onnx"));
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "unet", "config.json")));
        Assert.Equal(new UNetAddedInputs(64, 6, null), UNetAddedInputs.Read(session, config.RootElement));

        var scheduler = DiffusionSchedulers.FromJson(File.ReadAllText(Path.Combine(Root, "scheduler", "scheduler_config.json")));
        Assert.Equal("SgmEulerEDMScheduler", scheduler.ClassName);

        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "fmri_decoder.json")));
        var mindeye2 = manifest.RootElement.GetProperty("pipelines").GetProperty("mindeye2");
        Assert.Equal(38, mindeye2.GetProperty("steps").GetInt32());          // MindEye2's unCLIP: 38 Euler-EDM steps, CFG 5
        Assert.Equal(5.0, mindeye2.GetProperty("guidance").GetDouble());
    }

    /// <summary>
    /// One trial end to end (a short unCLIP loop; the refinement is sgm Euler-EDM img2img with the caption's pooled
    /// embedding in text_embeds): the same seed gives the same image bit for bit, another seed another image.
    /// </summary>
    [Fact]
    public void Mindeye2_reconstructs_a_trial_deterministically_per_seed()
    {
        using var decoder = BrainDecoder.Load(Root);
        var voxels = Enumerable.Range(0, 2534).Select(i => MathF.Sin((i * 0.37f) + 1)).ToArray();
        var request = new ReconstructionRequest { Pipeline = ReconstructionPipeline.MindEye2, Steps = 4, Samples = 1, Seed = 7 };

        var first = decoder.Reconstruct(voxels, request);
        var again = decoder.Reconstruct(voxels, request);
        var other = decoder.Reconstruct(voxels, request with { Seed = 8 });

        Assert.Equal(first.Image.Pixels.ToArray(), again.Image.Pixels.ToArray());
        Assert.NotEqual(first.Image.Pixels.ToArray(), other.Image.Pixels.ToArray());
        Assert.Single(first.Captions);
        Assert.Contains(first.Timings, t => t.Key == "refine diffusion");
    }
}
