using FmriToImage.Bundle;

namespace FmriToImage.Tests.Bundle;

/// <summary>The diffusion prior's contract (docs/model-bundle.md), with the broken variants of tests/fixtures/make_bundle.py.</summary>
public sealed class PriorContractTests
{
    [Fact]
    public void The_fixture_prior_opens_with_its_scheduler_config()
    {
        using var bundle = ModelBundle.Open(TestFiles.Fixture("bundle", "tiny"));
        Assert.NotNull(bundle.Prior);
        Assert.Equal(BundleComponentKind.Prior, bundle.Prior!.Kind);
        Assert.True(File.Exists(bundle.ResolvePath(ModelBundle.PriorSchedulerConfigPath)));
    }

    [Fact]
    public void A_renamed_input_is_named_with_the_inputs_the_graph_has()
    {
        using var temp = new TempBundle();
        temp.ReplaceWithVariant("prior/model.onnx", "prior_renamed_input.onnx");
        var error = Assert.Throws<BundleContractException>(() => ModelBundle.Open(temp.Root));
        Assert.Contains(error.Problems, p => p.StartsWith("prior/model.onnx: no input named 'encoder_hidden_states'", StringComparison.Ordinal) && p.Contains("brain_tokens: float32 [batch, 5, 16]", StringComparison.Ordinal));
    }

    [Fact]
    public void A_token_width_other_than_the_unets_and_the_brain_tokens_is_named_with_both()
    {
        using var temp = new TempBundle();
        temp.ReplaceWithVariant("prior/model.onnx", "prior_width_32.onnx");
        var error = Assert.Throws<BundleContractException>(() => ModelBundle.Open(temp.Root));
        Assert.Contains(error.Problems, p => p.Contains("prior/model.onnx: input 'sample' [batch, 5, 32] has 32 at axis 2 but unet/model.onnx input 'encoder_hidden_states' (width 16) needs 16", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("prior/model.onnx: input 'encoder_hidden_states' [batch, 5, 32] has 32 at axis 2 but voxel_encoders/highlevel.onnx output 'image_tokens' (the brain tokens, width 16) needs 16", StringComparison.Ordinal));
    }

    [Fact]
    public void A_token_count_other_than_the_brain_tokens_is_named()
    {
        using var temp = new TempBundle();
        temp.ReplaceWithVariant("prior/model.onnx", "prior_6_tokens.onnx");
        var error = Assert.Throws<BundleContractException>(() => ModelBundle.Open(temp.Root));
        Assert.All(error.Problems, p => Assert.Contains("(the brain tokens, tokens 5) needs 5", p));
        Assert.Equal(3, error.Problems.Count); // sample, encoder_hidden_states, out_sample
    }

    [Fact]
    public void Every_mismatch_of_the_prior_is_reported_at_once()
    {
        using var temp = new TempBundle();
        temp.ReplaceWithVariant("prior/model.onnx", "prior_batch_2_int_sample.onnx");
        File.Delete(temp.PathOf("prior/scheduler_config.json"));
        temp.EditManifest(m => m["files"]!.AsObject().Remove("prior/scheduler_config.json"));

        var error = Assert.Throws<BundleContractException>(() => ModelBundle.Open(temp.Root));
        Assert.Contains(error.Problems, p => p.Contains("prior/model.onnx: input 'sample' is int64 but must be float32", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("prior/model.onnx: input 'sample' [2, 5, 16] fixes the batch axis at 2; it must be dynamic", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("prior/model.onnx: input 'encoder_hidden_states' [2, 5, 16] fixes the batch axis at 2", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.StartsWith("prior/scheduler_config.json: missing", StringComparison.Ordinal));
        Assert.True(error.Problems.Count >= 5, string.Join(Environment.NewLine, error.Problems));
    }

    [Fact]
    public void A_scheduler_config_the_ddim_scheduler_cannot_honour_fails_at_load_naming_the_file()
    {
        using var temp = new TempBundle();
        File.WriteAllText(temp.PathOf("prior/scheduler_config.json"), """{"num_train_timesteps": 100, "beta_schedule": "sigmoid", "prediction_type": "sample"}""");
        temp.Rehash("prior/scheduler_config.json");
        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(temp.Root));
        var problem = Assert.Single(error.Problems);
        Assert.StartsWith("prior/scheduler_config.json: beta_schedule \"sigmoid\" is not supported", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Prior_defaults_outside_the_schedule_are_listed_together_at_load()
    {
        using var temp = new TempBundle();
        temp.EditManifest(m =>
        {
            var unclip = m["pipelines"]!["unclip"]!.AsObject();
            unclip["prior_steps"] = 101;
            unclip["prior_eta"] = -1.0;
        });
        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(temp.Root));
        Assert.Contains(error.Problems, p => p.Contains("pipelines.unclip.prior_steps is 101; it must lie in [1, 100]", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("pipelines.unclip.prior_eta is -1", StringComparison.Ordinal));
        Assert.Equal(2, error.Problems.Count);
    }
}
