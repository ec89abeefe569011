using System.Text.Json.Nodes;
using FmriToImage.Bundle;
using FmriToImage.Tests.Bundle;

namespace FmriToImage.Tests.Pipelines;

/// <summary>
/// The Conditioned (Vis-Dec) pipeline on the tiny fixture bundle with the conditioning-token encoders and the
/// time-embedding UNet of tests/fixtures/make_bundle.py (variants/visdec*.onnx, variants/unet_time_term.onnx).
/// </summary>
public sealed class ConditionedPipelineTests
{
    private static readonly float[] Voxels = Enumerable.Range(0, 100).Select(i => MathF.Sin((i * 0.37f) + 1)).ToArray();

    /// <summary>A tiny bundle copy with <paramref name="encoder"/> (a variant graph) listed as the conditioning_tokens encoder 'visdec'.</summary>
    private static TempBundle WithVisdec(string encoder, string? unet = null, JsonObject? defaults = null)
    {
        var temp = new TempBundle();
        File.Copy(TestFiles.Fixture("bundle", "variants", encoder), temp.PathOf("voxel_encoders/visdec.onnx"));
        temp.Rehash("voxel_encoders/visdec.onnx");
        if (unet is not null)
        {
            temp.ReplaceWithVariant("unet/model.onnx", unet);
        }

        temp.EditManifest(m =>
        {
            m["voxel_encoders"]!.AsArray().Add(new JsonObject { ["name"] = "visdec", ["file"] = "voxel_encoders/visdec.onnx", ["role"] = "conditioning_tokens", ["input"] = "nsdgeneral" });
            m["pipelines"]!["visdec"] = defaults ?? new JsonObject { ["steps"] = 6, ["guidance"] = 3.0, ["samples"] = 3 };
        });
        return temp;
    }

    [Fact]
    public void Runs_deterministically_per_seed_and_selects_by_the_image_embedding()
    {
        using var temp = WithVisdec("visdec.onnx");
        using var decoder = BrainDecoder.Load(temp.Root);
        var request = new ReconstructionRequest { Pipeline = ReconstructionPipeline.Conditioned, Seed = 7 };
        var first = decoder.Reconstruct(Voxels, request);
        var again = decoder.Reconstruct(Voxels, request);
        var other = decoder.Reconstruct(Voxels, request with { Seed = 8 });

        Assert.Equal(first.Image.Pixels.ToArray(), again.Image.Pixels.ToArray());
        Assert.Equal(first.ChosenIndex, again.ChosenIndex);
        Assert.NotEqual(first.Image.Pixels.ToArray(), other.Image.Pixels.ToArray());
        Assert.Equal(3, first.Candidates.Count);
        Assert.Equal(first.Candidates.Select(c => c.Score).Max(), first.Candidates[first.ChosenIndex].Score);
        Assert.Empty(first.Captions);
        Assert.Empty(first.LowLevelImages);
        Assert.Equal(1.0, first.Request.Strength);
        Assert.Throws<ArgumentException>(() => decoder.Reconstruct(new float[decoder.VoxelCount], new ReconstructionRequest { Pipeline = ReconstructionPipeline.Conditioned, Strength = 0.5 }));
        Assert.Contains(first.Timings, t => t.Key == "voxel encoders");
        Assert.Contains(first.Timings, t => t.Key == "diffusion");
    }

    [Fact]
    public void A_bundle_without_a_conditioning_tokens_encoder_is_refused_naming_the_role()
    {
        using var decoder = BrainDecoder.Load(TestFiles.Fixture("bundle", "tiny"));
        Assert.DoesNotContain(ReconstructionPipeline.Conditioned, decoder.AvailablePipelines);
        var error = Assert.Throws<BundleComponentMissingException>(() => decoder.Reconstruct(Voxels, new ReconstructionRequest { Pipeline = ReconstructionPipeline.Conditioned }));
        Assert.Contains("a voxel encoder with role 'conditioning_tokens'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Conditioned", error.NeededBy);
    }

    [Fact]
    public void A_scheduler_override_replaces_the_bundles_class_and_is_checked_at_load()
    {
        var plms = new JsonObject { ["steps"] = 6, ["guidance"] = 3.0, ["samples"] = 2 };
        var ddim = (JsonObject)plms.DeepClone();
        ddim["scheduler"] = new JsonObject { ["_class_name"] = "DDIMScheduler" };
        byte[] Run(JsonObject defaults)
        {
            using var temp = WithVisdec("visdec.onnx", defaults: defaults);
            using var decoder = BrainDecoder.Load(temp.Root);
            return decoder.Reconstruct(Voxels, new ReconstructionRequest { Pipeline = ReconstructionPipeline.Conditioned, Seed = 3 }).Image.Pixels.ToArray();
        }

        Assert.NotEqual(Run(plms), Run(ddim)); // the tiny bundle's own config is PNDM

        var unknown = (JsonObject)plms.DeepClone();
        unknown["scheduler"] = new JsonObject { ["_class_name"] = "NoSuchScheduler" };
        using var bad = WithVisdec("visdec.onnx", defaults: unknown);
        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(bad.Root));
        Assert.Contains(error.Problems, p => p.StartsWith("fmri_decoder.json: pipelines.visdec.scheduler", StringComparison.Ordinal) && p.Contains("NoSuchScheduler", StringComparison.Ordinal));
    }

    [Fact]
    public void A_time_embedding_term_the_unet_cannot_take_is_refused_at_load()
    {
        using var temp = WithVisdec("visdec_time_term.onnx");
        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(temp.Root));
        Assert.Contains(error.Problems, p => p.StartsWith("voxel_encoders/visdec.onnx: output 'time_embedding_term'", StringComparison.Ordinal) && p.Contains("unet/model.onnx has no input 'time_embedding_term'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_unet_time_embedding_input_no_encoder_feeds_is_refused_at_load()
    {
        using var temp = WithVisdec("visdec.onnx", unet: "unet_time_term.onnx");
        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(temp.Root));
        Assert.Contains(error.Problems, p => p.StartsWith("unet/model.onnx: input 'time_embedding_term'", StringComparison.Ordinal) && p.Contains("fed by no voxel encoder", StringComparison.Ordinal));
    }

    [Fact]
    public void A_conditioning_encoder_without_the_term_beside_one_with_it_is_refused_at_load_naming_it()
    {
        using var temp = WithVisdec("visdec.onnx", unet: "unet_time_term.onnx");
        File.Copy(TestFiles.Fixture("bundle", "variants", "visdec_time_term.onnx"), temp.PathOf("voxel_encoders/visdec_term.onnx"));
        temp.Rehash("voxel_encoders/visdec_term.onnx");
        temp.EditManifest(m => m["voxel_encoders"]!.AsArray().Add(new JsonObject { ["name"] = "visdec_term", ["file"] = "voxel_encoders/visdec_term.onnx", ["role"] = "conditioning_tokens", ["input"] = "nsdgeneral" }));
        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(temp.Root));
        var problem = Assert.Single(error.Problems, p => p.Contains("time_embedding_term", StringComparison.Ordinal));
        Assert.StartsWith("voxel_encoders/visdec.onnx: a 'conditioning_tokens' encoder without an output 'time_embedding_term'", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_time_embedding_term_of_another_width_is_refused_at_load_naming_both()
    {
        using var temp = WithVisdec("visdec_time_term_width_6.onnx", unet: "unet_time_term.onnx");
        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(temp.Root));
        Assert.Contains(error.Problems, p => p.Contains("voxel_encoders/visdec.onnx: output 'time_embedding_term' [batch, 6] has 6 at axis 1 but unet/model.onnx input 'time_embedding_term' (width 8) needs 8", StringComparison.Ordinal));
    }

    [Fact]
    public void A_unet_taking_the_time_term_leaves_only_the_conditioned_pipeline_available_and_names_the_input()
    {
        using var temp = WithVisdec("visdec_time_term.onnx", unet: "unet_time_term.onnx");
        using var decoder = BrainDecoder.Load(temp.Root);
        Assert.Contains(ReconstructionPipeline.Conditioned, decoder.AvailablePipelines);
        Assert.DoesNotContain(ReconstructionPipeline.Unclip, decoder.AvailablePipelines);
        Assert.DoesNotContain(ReconstructionPipeline.CaptionImg2Img, decoder.AvailablePipelines);
        var error = Assert.Throws<BundleComponentMissingException>(() => decoder.Reconstruct(new float[decoder.VoxelCount], new ReconstructionRequest { Pipeline = ReconstructionPipeline.Unclip }));
        Assert.Contains("'time_embedding_term'", error.RelativePath, StringComparison.Ordinal);
    }

    /// <summary>The stand-in UNet adds mean(term) per batch element; a guided batch takes the unconditional terms first.</summary>
    [Fact]
    public void The_time_embedding_term_reaches_the_unet_unconditional_half_first()
    {
        using var session = FmriToImage.Onnx.GraphSession.Open(TestFiles.Fixture("bundle", "variants", "unet_time_term.onnx"), new FmriToImage.Onnx.SessionSettings());
        using var unet = new FmriToImage.Models.UNet(session, 4, 4, 4, 16);
        Assert.Equal(8, unet.AddedInputs.TimeEmbeddingTermWidth);
        var latents = new float[2 * 64];
        var output = new float[latents.Length];
        var context = new float[2 * 5 * 16];

        Assert.Throws<InvalidOperationException>(() => unet.Denoise(latents, 2, 10, context, output, default));

        unet.Conditions = new FmriToImage.Models.AddedConditions(1).Set(FmriToImage.Models.UNetAddedInputs.TimeEmbeddingTerm, [.. Enumerable.Repeat(3f, 8)], [.. Enumerable.Repeat(1f, 8)]);
        unet.Denoise(latents, 2, 10, context, output, default); // guided: [unconditional; conditional]
        Assert.All(output[..64], v => Assert.Equal(1f, v));
        Assert.All(output[64..], v => Assert.Equal(3f, v));
        unet.Denoise(latents[..64], 1, 10, context[..80], output.AsSpan(0, 64), default); // unguided: the conditional term
        Assert.All(output[..64], v => Assert.Equal(3f, v));
    }
}
