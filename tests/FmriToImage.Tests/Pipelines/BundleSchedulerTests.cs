using FmriToImage.Bundle;
using FmriToImage.Tests.Bundle;

namespace FmriToImage.Tests.Pipelines;

/// <summary>
/// The pipelines build the scheduler the bundle's <c>scheduler/scheduler_config.json</c> names in <c>_class_name</c>
/// (docs/diffusion.md, "Scheduler selection"): on the demo bundle with an Euler config, and on the tiny fixture, whose
/// config names PNDMScheduler.
/// </summary>
public sealed class BundleSchedulerTests
{
    /// <summary>
    /// Acceptance of issue 20: an Euler img2img run through the demo pipeline (caption img2img, from the low-level image)
    /// is deterministic per seed. linspace spacing at 6 steps gives fractional timesteps (999, 799.2, …), which reach the
    /// demo UNet's float32 'timestep' unrounded.
    /// </summary>
    [Fact]
    public void An_euler_img2img_run_through_the_demo_pipeline_is_deterministic_per_seed()
    {
        using var temp = new TempBundle(TestFiles.RepoPath("models", "demo"));
        var ddimJson = File.ReadAllText(temp.PathOf(ModelBundle.SchedulerConfigPath));
        File.WriteAllText(temp.PathOf(ModelBundle.SchedulerConfigPath), """
            {
              "_class_name": "EulerDiscreteScheduler",
              "beta_end": 0.012,
              "beta_schedule": "scaled_linear",
              "beta_start": 0.00085,
              "num_train_timesteps": 1000,
              "prediction_type": "epsilon",
              "timestep_spacing": "linspace"
            }
            """);
        temp.Rehash(ModelBundle.SchedulerConfigPath);
        var voxels = Enumerable.Range(0, 2534).Select(i => MathF.Sin((i * 0.37f) + 1)).ToArray();
        var request = new ReconstructionRequest { Pipeline = ReconstructionPipeline.CaptionImg2Img, Steps = 6, Strength = 0.6, Seed = 7 };

        byte[] euler7, euler7Again, euler8;
        using (var decoder = BrainDecoder.Load(temp.Root))
        {
            euler7 = decoder.Reconstruct(voxels, request).Image.Pixels.ToArray();
            euler7Again = decoder.Reconstruct(voxels, request).Image.Pixels.ToArray();
            euler8 = decoder.Reconstruct(voxels, request with { Seed = 8 }).Image.Pixels.ToArray();
        }

        Assert.Equal(euler7, euler7Again);
        Assert.NotEqual(euler7, euler8);

        // The config is honoured: the same request on the demo's own DDIM config gives another image.
        File.WriteAllText(temp.PathOf(ModelBundle.SchedulerConfigPath), ddimJson);
        temp.Rehash(ModelBundle.SchedulerConfigPath);
        using var ddim = BrainDecoder.Load(temp.Root);
        Assert.NotEqual(euler7, ddim.Reconstruct(voxels, request).Image.Pixels.ToArray());
    }

    [Fact]
    public void Eta_is_refused_before_any_network_runs_with_a_scheduler_other_than_ddim()
    {
        using var decoder = BrainDecoder.Load(TestFiles.Fixture("bundle", "tiny")); // PNDMScheduler (PLMS)
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var voxels = Enumerable.Range(0, 100).Select(i => MathF.Sin(i * 0.37f)).ToArray();
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Reconstruct(voxels, new ReconstructionRequest { Eta = 0.5f }, cancelled.Token));
        Assert.Contains("ReconstructionRequest.Eta is 0.5; it must be 0 with the PNDMScheduler of scheduler/scheduler_config.json (only DDIMScheduler has eta).", error.Message);
    }

    [Fact]
    public void A_step_count_the_named_scheduler_refuses_is_named_at_load()
    {
        using var temp = new TempBundle();
        File.WriteAllText(temp.PathOf(ModelBundle.SchedulerConfigPath), """{"_class_name": "PNDMScheduler", "skip_prk_steps": false}""");
        temp.Rehash(ModelBundle.SchedulerConfigPath);
        temp.EditManifest(m => m["pipelines"]!["caption_img2img"]!["steps"] = 3); // PNDM's Runge-Kutta start needs 4

        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(temp.Root));
        Assert.Contains(error.Problems, p => p.StartsWith("fmri_decoder.json: pipelines.caption_img2img.steps is 3; it must be a count the scheduler of scheduler/scheduler_config.json accepts", StringComparison.Ordinal));
    }

    /// <summary>
    /// tests/fixtures/make_bundle.py's unet_int64_timestep.onnx takes integer timesteps. Karras sigmas give fractional
    /// ones at the manifest's default 10 steps: refused at load. Euler linspace at 10 steps gives integers
    /// (999/9 = 111 apart) and loads, but a request for 7 steps (999, 832.5, …) is refused before the UNet runs.
    /// </summary>
    [Fact]
    public void A_fractional_timestep_for_an_integer_timestep_unet_is_refused_naming_the_input_and_the_scheduler()
    {
        using var karras = new TempBundle();
        karras.ReplaceWithVariant("unet/model.onnx", "unet_int64_timestep.onnx");
        File.WriteAllText(karras.PathOf(ModelBundle.SchedulerConfigPath), """{"_class_name": "EulerDiscreteScheduler", "use_karras_sigmas": true}""");
        karras.Rehash(ModelBundle.SchedulerConfigPath);
        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(karras.Root));
        var problem = Assert.Single(error.Problems, p => p.StartsWith("fmri_decoder.json: pipelines.caption_img2img.steps 10 with scheduler/scheduler_config.json: ", StringComparison.Ordinal));
        Assert.Contains("input 'timestep' is Int64", problem);
        Assert.Contains("EulerDiscreteScheduler gives at step 1 of 10 the fractional timestep", problem);

        using var linspace = new TempBundle();
        linspace.ReplaceWithVariant("unet/model.onnx", "unet_int64_timestep.onnx");
        File.WriteAllText(linspace.PathOf(ModelBundle.SchedulerConfigPath), """{"_class_name": "EulerDiscreteScheduler"}""");
        linspace.Rehash(ModelBundle.SchedulerConfigPath);
        using var decoder = BrainDecoder.Load(linspace.Root);
        var voxels = Enumerable.Range(0, 100).Select(i => MathF.Sin(i * 0.37f)).ToArray();
        Assert.Equal(32, decoder.Reconstruct(voxels, new ReconstructionRequest { Strength = 1.0 }).Image.Width); // integer timesteps run
        var refused = Assert.ThrowsAny<FmriToImageException>(() => decoder.Reconstruct(voxels, new ReconstructionRequest { Steps = 7, Strength = 1.0 }));
        Assert.Contains("input 'timestep' is Int64", refused.Message);
        Assert.Contains("EulerDiscreteScheduler gives at step 1 of 7 the fractional timestep 832.5", refused.Message);
    }
}
