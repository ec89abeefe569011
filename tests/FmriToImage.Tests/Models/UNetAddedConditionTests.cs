using FmriToImage.Bundle;
using FmriToImage.Models;
using FmriToImage.Pipelines;

namespace FmriToImage.Tests.Models;

/// <summary>
/// UNets with added conditions (SDXL's text_embeds and time_ids, SD-2.1 unCLIP's class_labels): read from the graph,
/// checked against unet/config.json at load, filled per step. Graphs from tests/fixtures/make_added_condition_unets.py.
/// </summary>
public sealed class UNetAddedConditionTests
{
    private static readonly float[] Voxels = Enumerable.Range(0, 100).Select(i => MathF.Sin((i * 0.37f) + 1)).ToArray();

    [Theory]
    [InlineData("unet_sdxl.onnx", "sdxl", ReconstructionPipeline.CaptionImg2Img)]
    [InlineData("unet_refiner.onnx", "refiner", ReconstructionPipeline.CaptionImg2Img)]
    [InlineData("unet_sdxl.onnx", "sdxl", ReconstructionPipeline.Unclip)]
    public void An_sdxl_unet_loads_and_runs_deterministically(string graph, string config, ReconstructionPipeline pipeline)
    {
        using var temp = AddedConditionBundle.Make(graph, config);
        using var decoder = BrainDecoder.Load(temp.Root);
        var request = new ReconstructionRequest { Pipeline = pipeline, Seed = 3, Steps = 4 };
        var first = decoder.Reconstruct(Voxels, request).Image.Pixels.ToArray();
        Assert.Equal(first, decoder.Reconstruct(Voxels, request).Image.Pixels.ToArray());
    }

    /// <summary>
    /// Graphs written by models/export/stable_diffusion.py's UNet export (tests/fixtures/make_exported_added_condition_unets.py:
    /// stand-ins with UNet2DConditionModel's signature and config keys, random weights) load and run with their configs.
    /// </summary>
    [Theory]
    [InlineData("sdxl", ReconstructionPipeline.CaptionImg2Img)]
    [InlineData("refiner", ReconstructionPipeline.CaptionImg2Img)]
    [InlineData("unclip", ReconstructionPipeline.Unclip)]
    public void Unets_the_export_recipe_writes_load_and_run(string name, ReconstructionPipeline pipeline)
    {
        using var temp = AddedConditionBundle.Make($"exported_{name}.onnx", config: null, unclipFiles: name == "unclip");
        File.Copy(AddedConditionBundle.Added($"exported_{name}.config.json"), temp.PathOf("unet/config.json"), overwrite: true);
        temp.Rehash("unet/config.json");
        using var decoder = BrainDecoder.Load(temp.Root);
        var request = new ReconstructionRequest { Pipeline = pipeline, Seed = 3, Steps = 4 };
        Assert.Equal(decoder.Reconstruct(Voxels, request).Image.Pixels.ToArray(), decoder.Reconstruct(Voxels, request).Image.Pixels.ToArray());
    }

    [Fact]
    public void The_time_ids_reach_the_graph()
    {
        // The graph adds 0.02·mean(time_ids) to its output: other sizes in the manifest give another image.
        using var temp = AddedConditionBundle.Make("unet_sdxl.onnx", "sdxl");
        var request = new ReconstructionRequest { Pipeline = ReconstructionPipeline.CaptionImg2Img, Seed = 3, Steps = 4 };
        byte[] small, large;
        using (var decoder = BrainDecoder.Load(temp.Root))
        {
            small = decoder.Reconstruct(Voxels, request).Image.Pixels.ToArray();
        }

        temp.EditManifest(m => m["pipelines"]!["caption_img2img"]!["original_size"] = new System.Text.Json.Nodes.JsonArray(4000, 4000));
        using (var decoder = BrainDecoder.Load(temp.Root))
        {
            large = decoder.Reconstruct(Voxels, request).Image.Pixels.ToArray();
        }

        Assert.NotEqual(small, large);
    }

    [Fact]
    public void An_unclip_unet_takes_noise_augmented_class_labels_and_runs_deterministically()
    {
        using var temp = AddedConditionBundle.Make("unet_unclip.onnx", "unclip", unclipFiles: true);
        temp.EditManifest(m => m["pipelines"]!["unclip"]!["noise_level"] = 250);
        using var decoder = BrainDecoder.Load(temp.Root);
        var request = new ReconstructionRequest { Pipeline = ReconstructionPipeline.Unclip, Seed = 5, Steps = 4 };
        var first = decoder.Reconstruct(Voxels, request).Image.Pixels.ToArray();
        Assert.Equal(first, decoder.Reconstruct(Voxels, request).Image.Pixels.ToArray());
        Assert.NotEqual(first, decoder.Reconstruct(Voxels, request with { Seed = 6 }).Image.Pixels.ToArray());
    }

    [Theory]
    [InlineData("unet_sdxl_no_time_ids.onnx", "sdxl", false, "'time_ids' is expected")]
    [InlineData("unet_sdxl_int64_time_ids.onnx", "sdxl", false, "input 'time_ids' is int64")]
    [InlineData("unet_sdxl.onnx", null, false, "input 'text_embeds'")]
    [InlineData("unet_unclip.onnx", null, false, "input 'class_labels' [batch, 32] is not explained by unet/config.json")]
    [InlineData("unet_unclip.onnx", "sdxl", false, "input 'text_embeds' is expected")]
    [InlineData("unet_timestep_cond.onnx", null, false, "input 'timestep_cond' [batch, 8] is not one this library fills")]
    [InlineData("unet_unclip.onnx", "unclip", false, "needs image_noising_scheduler/scheduler_config.json")]
    [InlineData("unet_sdxl.onnx", "refiner", false, "'time_ids'")]
    public void A_unet_whose_added_inputs_do_not_match_its_config_is_refused_at_load_naming_the_input(string graph, string? config, bool unclipFiles, string expected)
    {
        using var temp = AddedConditionBundle.Make(graph, config, unclipFiles);
        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(temp.Root));
        Assert.Contains(error.Problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void A_class_label_width_that_is_not_twice_the_brain_embedding_is_refused()
    {
        using var temp = AddedConditionBundle.Make("unet_unclip.onnx", "unclip", unclipFiles: true);
        var path = temp.PathOf("unet/config.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"projection_class_embeddings_input_dim\":32", "\"projection_class_embeddings_input_dim\":30", StringComparison.Ordinal));
        temp.Rehash("unet/config.json");
        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(temp.Root));
        Assert.Contains(error.Problems, p => p.Contains("'class_labels'", StringComparison.Ordinal) && p.Contains("[batch, 30]", StringComparison.Ordinal));
    }

    [Fact]
    public void The_wrapper_refuses_a_step_without_the_added_values_and_steps_with_them_allocation_free()
    {
        using var temp = AddedConditionBundle.Make("unet_sdxl.onnx", "sdxl");
        using var bundle = ModelBundle.Open(temp.Root);
        using var unet = ModelLoader.UNet(bundle, 32, 32);
        Assert.Equal(new UNetAddedInputs(16, 6, null), unet.AddedInputs);
        var latents = new float[128];
        var context = new float[2 * 5 * 16];
        var prediction = new float[128];
        Assert.Throws<InvalidOperationException>(() => unet.Denoise(latents, 2, 1, context, prediction, CancellationToken.None));

        unet.Conditions = new AddedConditions(1)
            .Set(UNetAddedInputs.TextEmbeds, Enumerable.Range(0, 16).Select(i => (float)i).ToArray(), new float[16])
            .Set(UNetAddedInputs.TimeIds, [32, 32, 0, 0, 32, 32], [32, 32, 0, 0, 32, 32]);
        for (var warmUp = 0; warmUp < 3; warmUp++)
        {
            unet.Denoise(latents, 2, 1, context, prediction, CancellationToken.None);
        }

        var guided = prediction.ToArray();
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var step = 0; step < 20; step++)
        {
            unet.Denoise(latents, 2, 981 - (step * 50), context, prediction, CancellationToken.None);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        // Guided batches get [unconditional ‖ conditional]: the halves differ by 0.01·mean(0…15) = 0.075.
        Assert.Equal(0.075f, guided[64] - guided[0], 1e-5f);
    }
}
