using System.Text.Json.Nodes;
using FmriToImage.Bundle;
using FmriToImage.Tests.Bundle;

namespace FmriToImage.Tests.Pipelines;

/// <summary>
/// The load-time checks of the decoder's components (scheduler configs, manifest defaults, UNet and prior wrappers,
/// embedding outputs), through <see cref="BrainDecoder.Load"/> on edited copies of the tiny fixture bundle.
/// </summary>
public sealed class DecoderComponentsTests
{
    [Fact]
    public void The_empty_caption_is_encoded_once_under_the_first_callers_token_and_a_cancelled_encoding_keeps_nothing()
    {
        using var bundle = ModelBundle.Open(TestFiles.Fixture("bundle", "tiny"));
        using var components = new FmriToImage.Pipelines.DecoderComponents(bundle, FmriToImage.Pipelines.PipelineTable.Default);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => components.EmptyCaptionStates(cancelled.Token).Length);
        var states = components.EmptyCaptionStates(CancellationToken.None).ToArray(); // not poisoned by the cancelled first call
        Assert.Equal(components.TextEncoder!.Encode([string.Empty]).HiddenStates.Span.ToArray(), states);
        Assert.Equal(states, components.EmptyCaptionStates(cancelled.Token).ToArray()); // kept: no encoding runs again
    }

    [Fact]
    public void Out_of_range_manifest_defaults_are_all_listed_at_load()
    {
        using var temp = new TempBundle();
        temp.EditManifest(m =>
        {
            m["pipelines"]!["caption_img2img"]!["steps"] = 5000;
            m["pipelines"]!["caption_img2img"]!["strength"] = 1.5;
            m["pipelines"]!["unclip"]!["samples"] = 0;
            m["pipelines"]!["unclip"]!["prior_steps"] = 101;
        });

        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(temp.Root));
        Assert.Contains("fmri_decoder.json: pipelines.caption_img2img.steps is 5000; it must lie in [1, 1000] (num_train_timesteps of scheduler/scheduler_config.json).", error.Problems);
        Assert.Contains("fmri_decoder.json: pipelines.caption_img2img.strength is 1.5; it must lie in [0, 1].", error.Problems);
        Assert.Contains("fmri_decoder.json: pipelines.unclip.samples is 0; it must be at least 1.", error.Problems);
        Assert.Contains(error.Problems, p => p.StartsWith("fmri_decoder.json: pipelines.unclip.prior_steps is 101", StringComparison.Ordinal));
        Assert.Equal(4, error.Problems.Count);
    }

    [Theory]
    [InlineData("""{"_class_name": "DDIMScheduler", "num_train_timesteps": 1000, "beta_schedule": "sigmoid"}""", "sigmoid")]
    [InlineData("""{"_class_name": "DDIMScheduler", "num_train_timesteps": 0}""", "NumTrainTimesteps must be at least 1")]
    [InlineData("""{"_class_name": "DDIMScheduler", "num_train_timesteps": 1000, "steps_offset": -1}""", "StepsOffset must be at least 0")]
    [InlineData("""{"_class_name": "DDIMScheduler", "num_train_timesteps": "many"}""", "num_train_timesteps")]
    [InlineData("""{"_class_name": "EulerDiscreteScheduler", "interpolation_type": "log_linear"}""", "interpolation_type")]
    [InlineData("""{"_class_name": "PNDMScheduler", "num_train_timesteps": 1e9}""", "NumTrainTimesteps must be at most 10000")]
    [InlineData("""{"_class_name": "LMSDiscreteScheduler"}""", "_class_name \"LMSDiscreteScheduler\" is not supported; supported: DDIMScheduler, EulerDiscreteScheduler")]
    [InlineData("""{"num_train_timesteps": 1000}""", "no \"_class_name\"")]
    public void A_bad_main_scheduler_config_is_a_contract_problem_at_load(string json, string expected)
    {
        using var temp = new TempBundle();
        File.WriteAllText(temp.PathOf(ModelBundle.SchedulerConfigPath), json);
        temp.Rehash(ModelBundle.SchedulerConfigPath);

        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(temp.Root));
        Assert.Contains(error.Problems, p => p.StartsWith("scheduler/scheduler_config.json: ", StringComparison.Ordinal) && p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_bundle_without_a_main_scheduler_config_loads_with_no_pipeline_and_names_it()
    {
        using var temp = new TempBundle();
        File.Delete(temp.PathOf(ModelBundle.SchedulerConfigPath));
        temp.EditManifest(m => m["files"]!.AsObject().Remove(ModelBundle.SchedulerConfigPath));

        using var decoder = BrainDecoder.Load(temp.Root);
        Assert.Empty(decoder.AvailablePipelines);
        var error = Assert.Throws<BundleComponentMissingException>(() => decoder.Reconstruct(new float[100]));
        Assert.Equal(ModelBundle.SchedulerConfigPath, error.RelativePath);
    }

    [Fact]
    public void A_bundle_without_a_vae_encoder_keeps_both_pipelines()
    {
        using var temp = new TempBundle();
        Directory.Delete(temp.PathOf("vae_encoder"), recursive: true);
        temp.EditManifest(m =>
        {
            foreach (var key in m["files"]!.AsObject().Select(p => p.Key).Where(k => k.StartsWith("vae_encoder/", StringComparison.Ordinal)).ToList())
            {
                m["files"]!.AsObject().Remove(key);
            }
        });

        using var decoder = BrainDecoder.Load(temp.Root);
        Assert.Equal([ReconstructionPipeline.CaptionImg2Img, ReconstructionPipeline.Unclip], decoder.AvailablePipelines);
    }

    [Fact]
    public void A_bundle_without_a_vae_decoder_loads_with_no_pipeline_and_names_it()
    {
        // The class promises that missing components make pipelines unavailable, not the load fail.
        using var temp = new TempBundle();
        Directory.Delete(temp.PathOf("vae_decoder"), recursive: true);
        temp.EditManifest(m =>
        {
            foreach (var key in m["files"]!.AsObject().Select(p => p.Key).Where(k => k.StartsWith("vae_decoder/", StringComparison.Ordinal)).ToList())
            {
                m["files"]!.AsObject().Remove(key);
            }
        });

        using var decoder = BrainDecoder.Load(temp.Root);
        Assert.Empty(decoder.AvailablePipelines);
        Assert.Equal("vae_decoder/model.onnx", Assert.Throws<BundleComponentMissingException>(() => decoder.Reconstruct(new float[100])).RelativePath);
        Assert.Equal(16, decoder.EmbedBrain(new float[100]).Length); // what needs no VAE still works
    }

    [Fact]
    public void A_bundle_without_the_captioners_preprocessor_config_keeps_unclip()
    {
        using var temp = new TempBundle();
        File.Delete(temp.PathOf("captioner/preprocessor_config.json"));
        temp.EditManifest(m => m["files"]!.AsObject().Remove("captioner/preprocessor_config.json"));

        using var decoder = BrainDecoder.Load(temp.Root);
        Assert.Equal([ReconstructionPipeline.Unclip], decoder.AvailablePipelines);
        Assert.Equal("captioner/preprocessor_config.json", Assert.Throws<BundleComponentMissingException>(() => decoder.Reconstruct(new float[100])).RelativePath);
    }

    [Fact]
    public void A_unet_config_width_the_graph_does_not_have_is_refused_at_load()
    {
        // The graph fixes encoder_hidden_states at width 16; the config claims 24.
        using var temp = new TempBundle();
        var config = JsonNode.Parse(File.ReadAllText(temp.PathOf("unet/config.json")))!;
        config["cross_attention_dim"] = 24;
        File.WriteAllText(temp.PathOf("unet/config.json"), config.ToJsonString());
        temp.Rehash("unet/config.json");

        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(temp.Root));
        Assert.Contains(error.Problems, p => p.StartsWith("unet/model.onnx: ", StringComparison.Ordinal) && p.Contains("fixes the token width at 16, not 24", StringComparison.Ordinal));
    }

    [Fact]
    public void Unclip_is_not_advertised_when_the_high_level_encoder_has_no_image_embedding()
    {
        using var temp = new TempBundle();
        temp.ReplaceWithVariant("voxel_encoders/highlevel.onnx", "highlevel_no_embedding.onnx");

        using var decoder = BrainDecoder.Load(temp.Root);
        Assert.Equal([ReconstructionPipeline.CaptionImg2Img], decoder.AvailablePipelines);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var error = Assert.Throws<BundleComponentMissingException>(() => decoder.Reconstruct(new float[100], new ReconstructionRequest { Pipeline = ReconstructionPipeline.Unclip }, cancelled.Token));
        Assert.Equal("voxel_encoders/highlevel.onnx: output 'image_embedding'", error.RelativePath);
    }
}
