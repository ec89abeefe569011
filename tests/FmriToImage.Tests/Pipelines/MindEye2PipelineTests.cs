using FmriToImage.Bundle;
using FmriToImage.Imaging;
using FmriToImage.Pipelines;
using FmriToImage.Tests.Bundle;
using FmriToImage.Tests.Models;

namespace FmriToImage.Tests.Pipelines;

/// <summary>
/// The MindEye2 pipeline: unCLIP → caption (from the unCLIP image on the demo, from the tokens with a token converter)
/// → refinement → blend, each stage timed; deterministic per seed.
/// </summary>
public sealed class MindEye2PipelineTests
{
    private static readonly float[] DemoVoxels = Enumerable.Range(0, 2534).Select(i => MathF.Sin((i * 0.37f) + 1)).ToArray();
    private static readonly float[] TinyVoxels = Enumerable.Range(0, 100).Select(i => MathF.Sin((i * 0.37f) + 1)).ToArray();

    [Fact]
    public void Runs_end_to_end_on_the_demo_bundle_deterministically_per_seed_with_every_stage_timed()
    {
        using var decoder = BrainDecoder.Load(TestFiles.RepoPath("models", "demo"));
        Assert.Contains(ReconstructionPipeline.MindEye2, decoder.AvailablePipelines);
        var request = new ReconstructionRequest { Pipeline = ReconstructionPipeline.MindEye2, Seed = 7, Steps = 6, Samples = 2 };
        var first = decoder.Reconstruct(DemoVoxels, request);
        var again = decoder.Reconstruct(DemoVoxels, request);
        var other = decoder.Reconstruct(DemoVoxels, request with { Seed = 8 });

        Assert.Equal(first.Image.Pixels.ToArray(), again.Image.Pixels.ToArray());
        Assert.NotEqual(first.Image.Pixels.ToArray(), other.Image.Pixels.ToArray());
        Assert.Single(first.Captions);
        Assert.Equal(2, first.Candidates.Count);
        Assert.Single(first.LowLevelImages);
        Assert.Equal(
            ["voxel encoders", "low-level decoding", "unclip diffusion", "unclip decoding", "selection", "captioning (unCLIP image)", "refine encoding", "refine diffusion", "refine decoding", "blend"],
            first.Timings.Select(t => t.Key));
    }

    [Fact]
    public void The_final_image_is_the_blend_of_the_refined_and_the_low_level_image()
    {
        using var temp = new TempBundle(TestFiles.RepoPath("models", "demo"));
        var request = new ReconstructionRequest { Pipeline = ReconstructionPipeline.MindEye2, Seed = 7, Steps = 6, Samples = 2 };
        Reconstruction blended;
        using (var decoder = BrainDecoder.Load(temp.Root))
        {
            blended = decoder.Reconstruct(DemoVoxels, request);
        }

        temp.EditManifest(m => m["pipelines"]!["mindeye2"]!["blend"] = false);
        using var unblended = BrainDecoder.Load(temp.Root);
        var refined = unblended.Reconstruct(DemoVoxels, request);
        Assert.DoesNotContain(refined.Timings, t => t.Key == "blend");
        Assert.Equal(MindEye2Pipeline.Blend(refined.Image, refined.LowLevelImages[0], 0.75).Pixels.ToArray(), blended.Image.Pixels.ToArray());
    }

    [Fact]
    public void Without_refinement_and_blend_the_final_image_is_the_chosen_unclip_candidate()
    {
        using var temp = new TempBundle(TestFiles.RepoPath("models", "demo"));
        temp.EditManifest(m =>
        {
            m["pipelines"]!["mindeye2"]!["blend"] = false;
            m["pipelines"]!["mindeye2"]!["refine"] = false;
        });
        using var decoder = BrainDecoder.Load(temp.Root);
        var r = decoder.Reconstruct(DemoVoxels, new ReconstructionRequest { Pipeline = ReconstructionPipeline.MindEye2, Seed = 3, Steps = 4, Samples = 2 });
        Assert.Equal(r.Candidates[r.ChosenIndex].Image.Pixels.ToArray(), r.Image.Pixels.ToArray());
        Assert.Empty(r.Captions);
    }

    [Fact]
    public void A_captioner_with_a_token_converter_captions_the_tokens_before_the_unclip_stage()
    {
        using var temp = TokenCaptionerTests.WithTokenCaptioner();
        using var decoder = BrainDecoder.Load(temp.Root);
        var r = decoder.Reconstruct(TinyVoxels, new ReconstructionRequest { Pipeline = ReconstructionPipeline.MindEye2, Seed = 3, Steps = 4, Samples = 2, UsePrior = false });
        Assert.Contains(r.Timings, t => t.Key == "captioning (image tokens)");
        Assert.DoesNotContain(r.Timings, t => t.Key == "captioning (unCLIP image)");
        Assert.Single(r.Captions);
    }

    [Fact]
    public void Out_of_range_refinement_and_blend_defaults_are_refused_at_load()
    {
        using var temp = new TempBundle(TestFiles.RepoPath("models", "demo"));
        temp.EditManifest(m =>
        {
            m["pipelines"]!["mindeye2"]!["refine_strength"] = 1.5;
            m["pipelines"]!["mindeye2"]!["blend_weight"] = -0.1;
        });
        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(temp.Root));
        Assert.Contains("fmri_decoder.json: pipelines.mindeye2.refine_strength is 1.5; it must lie in [0, 1].", error.Problems);
        Assert.Contains("fmri_decoder.json: pipelines.mindeye2.blend_weight is -0.1; it must lie in [0, 1].", error.Problems);
    }

    [Fact]
    public void Blend_weighs_each_channel_and_rounds_half_to_even()
    {
        var a = new RgbImage(1, 1, [200, 0, 1]);
        var b = new RgbImage(1, 1, [0, 200, 3]);
        Assert.Equal([150, 50, 2], MindEye2Pipeline.Blend(a, b, 0.75).Pixels.ToArray()); // 1.5 → 2
        Assert.Throws<ArgumentException>(() => MindEye2Pipeline.Blend(a, new RgbImage(2, 1), 0.75));
    }
}
