using System.Text.Json.Nodes;
using FmriToImage.Bundle;
using FmriToImage.Diffusion;
using FmriToImage.Pipelines;

namespace FmriToImage.Tests.Diffusion;

/// <summary>
/// Stable unCLIP's class labels and SDXL's time ids against tests/fixtures/diffusion/unclip_reference.py, a float64
/// NumPy transcription of diffusers' <c>noise_image_embeddings</c>, <c>get_timestep_embedding</c> and
/// <c>_get_add_time_ids</c>.
/// </summary>
public sealed class UnclipNoiseAugmentationTests
{
    private static readonly JsonNode Reference = JsonNode.Parse(File.ReadAllText(TestFiles.Fixture("diffusion", "unclip_reference.json")))!;

    private static float[] Floats(JsonNode? node) => node!.AsArray().Select(v => (float)v!.GetValue<double>()).ToArray();

    [Fact]
    public void The_noise_level_embedding_matches_diffusers_sinusoidal_embedding()
    {
        foreach (var row in Reference["timestep_embeddings"]!.AsArray())
        {
            var expected = Floats(row!["embedding"]);
            var actual = new float[row["dim"]!.GetValue<int>()];
            UnclipNoiseAugmentation.TimestepEmbedding(row["t"]!.GetValue<double>(), actual);
            for (var k = 0; k < expected.Length; k++)
            {
                Assert.True(Math.Abs(expected[k] - actual[k]) <= 1e-6, $"t {row["t"]}, dim {actual.Length}, element {k}: {actual[k]} vs {expected[k]}");
            }
        }
    }

    [Fact]
    public void Class_labels_are_the_noised_embedding_then_the_noise_level_embedding()
    {
        // The reference's ᾱ is of a squaredcos_cap_v2 DDPM (stable-unCLIP's image_noising_scheduler); the library's own
        // schedule must give the same ᾱ.
        var schedule = new DdimScheduler(DdimSchedulerConfig.FromJson("""{"beta_schedule": "squaredcos_cap_v2", "num_train_timesteps": 1000}"""));
        foreach (var row in Reference["class_labels"]!.AsArray())
        {
            var level = row!["noise_level"]!.GetValue<int>();
            var alpha = row["alpha_cumprod"]!.GetValue<double>();
            Assert.Equal(alpha, schedule.AlphasCumprod[level], 1e-12);
            var expected = Floats(row["class_labels"]);
            var actual = new float[expected.Length];
            UnclipNoiseAugmentation.ClassLabels(Floats(row["embedding"]), Floats(row["mean"]), Floats(row["std"]), alpha, Floats(row["noise"]), level, actual);
            for (var k = 0; k < expected.Length; k++)
            {
                Assert.True(Math.Abs(expected[k] - actual[k]) <= 1e-6 * Math.Max(1, Math.Abs(expected[k])), $"noise level {level}, element {k}: {actual[k]} vs {expected[k]}");
            }
        }
    }

    [Fact]
    public void Mismatched_lengths_are_refused()
    {
        Assert.Throws<ArgumentException>(() => UnclipNoiseAugmentation.ClassLabels(new float[4], new float[4], new float[4], 0.5, new float[4], 0, new float[7]));
    }

    [Fact]
    public void Time_ids_are_sdxl_original_size_crop_and_target_size_or_the_refiner_aesthetic_score()
    {
        var ids = Reference["time_ids"]!;
        var defaults = new PipelineDefaults { OriginalSize = [768, 768], TargetSize = [1024, 1024] };
        var (conditional, unconditional) = UnetConditions.TimeIds(defaults, 6, 64, 64);
        Assert.Equal(Floats(ids["sdxl_base"]), conditional);
        Assert.Equal(conditional, unconditional); // diffusers' negative ids default to the same

        var (refiner, refinerNegative) = UnetConditions.TimeIds(defaults, 5, 64, 64);
        Assert.Equal(Floats(ids["sdxl_refiner"]), refiner);
        Assert.Equal([768f, 768, 0, 0, 2.5f], refinerNegative);

        // Without manifest sizes: the output image's size and a [0, 0] crop, as diffusers defaults them.
        Assert.Equal([64f, 48, 0, 0, 64, 48], UnetConditions.TimeIds(new PipelineDefaults(), 6, 64, 48).Conditional);
    }
}
