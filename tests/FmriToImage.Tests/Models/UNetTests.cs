using FmriToImage.Diffusion;
using FmriToImage.Onnx;
using FmriToImage.Pipelines;

namespace FmriToImage.Tests.Models;

public sealed class UNetTests(TinyBundle tiny) : IClassFixture<TinyBundle>
{
    [Fact]
    public void Reads_the_latent_shape_token_width_and_timestep_type_from_the_bundle()
    {
        using var unet = ModelLoader.UNet(tiny.Bundle, 32, 32);
        Assert.Equal(4, unet.LatentChannels);
        Assert.Equal(4, unet.LatentHeight);
        Assert.Equal(4, unet.LatentWidth);
        Assert.Equal(16, unet.TokenWidth);
        Assert.Equal(TensorElementType.Float, unet.TimestepElementType);
    }

    [Fact]
    public void A_disposed_unet_refuses_to_run_instead_of_binding_anew()
    {
        var unet = ModelLoader.UNet(tiny.Bundle, 32, 32);
        unet.Dispose();
        var latents = new float[64];
        Assert.Throws<ObjectDisposedException>(() => unet.Denoise(latents, 1, 1, new float[3 * 16], new float[64], CancellationToken.None));
        unet.Dispose(); // idempotent
    }

    [Fact]
    public void Denoise_gives_what_a_direct_run_of_the_graph_gives_and_reuses_its_binding()
    {
        using var unet = ModelLoader.UNet(tiny.Bundle, 32, 32);
        var session = tiny.Bundle.Unet!.Session;
        var latents = Enumerable.Range(0, 2 * 64).Select(i => MathF.Sin(i)).ToArray();
        var context = Enumerable.Range(0, 2 * 3 * 16).Select(i => MathF.Cos(i * 0.3f)).ToArray();

        var prediction = new float[latents.Length];
        for (var repeat = 0; repeat < 3; repeat++)
        {
            unet.Denoise(latents, 2, 501, context, prediction, CancellationToken.None);
        }

        // Both bind 64-byte aligned copies, so the graph's ReduceMean over encoder_hidden_states sums in one order.
        using var sample = AlignedTensor.Copy<float>(latents, [2, 4, 4, 4]);
        using var timestep = AlignedTensor.Copy<float>([501f], ReadOnlySpan<long>.Empty);
        using var hidden = AlignedTensor.Copy<float>(context, [2, 3, 16]);
        using var outputs = session.Run([new("sample", sample), new("timestep", timestep), new("encoder_hidden_states", hidden)]);
        Assert.Equal(outputs[0].ToArray<float>(), prediction);
    }

    [Fact]
    public void A_long_lived_wrapper_keeps_the_buffers_of_a_few_shapes_only_and_rebuilds_an_evicted_one_identically()
    {
        // A pooled wrapper lives as long as its decoder: ever new batch sizes must not grow its pinned buffers.
        using var unet = ModelLoader.UNet(tiny.Bundle, 32, 32);
        float[] Run(int batch)
        {
            var latents = Enumerable.Range(0, batch * 64).Select(i => (float)Math.Sin(i)).ToArray();
            var context = Enumerable.Range(0, batch * 5 * 16).Select(i => (float)Math.Cos(i)).ToArray();
            var prediction = new float[batch * 64];
            unet.Denoise(latents, batch, 500, context, prediction, CancellationToken.None);
            return prediction;
        }

        var first = Run(1);
        for (var batch = 2; batch <= FmriToImage.Models.DenoiserGraph.MaxKeptShapes + 2; batch++)
        {
            Run(batch);
            Assert.True(unet.KeptShapes <= FmriToImage.Models.DenoiserGraph.MaxKeptShapes, $"{unet.KeptShapes} shapes kept after batch {batch}");
        }

        Assert.Equal(first, Run(1)); // batch 1's buffers were evicted and rebuilt: same values
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_steady_state_step_allocates_nothing(bool cancellable)
    {
        using var unet = ModelLoader.UNet(tiny.Bundle, 32, 32);
        using var source = new CancellationTokenSource();
        var token = cancellable ? source.Token : CancellationToken.None;
        var latents = new float[128];
        var context = new float[2 * 5 * 16];
        var prediction = new float[128];
        for (var warmUp = 0; warmUp < 3; warmUp++)
        {
            unet.Denoise(latents, 2, 1, context, prediction, token);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var step = 0; step < 20; step++)
        {
            unet.Denoise(latents, 2, 981 - (step * 50), context, prediction, token);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Drives_the_sampler_end_to_end_deterministically()
    {
        using var unet = ModelLoader.UNet(tiny.Bundle, 32, 32);
        var config = DdimSchedulerConfig.FromJson(File.ReadAllText(TestFiles.Fixture("bundle", "tiny", "scheduler", "scheduler_config.json")));
        float[] Run(ulong seed)
        {
            var sampler = new Sampler(new DdimScheduler(config), unet);
            return sampler.Sample(new DiffusionRequest
            {
                LatentLength = unet.LatentLength,
                Noise = new GaussianNoiseSource(seed),
                Conditioning = new float[8 * 16],
                UnconditionalConditioning = new float[8 * 16],
                NumInferenceSteps = 5,
                GuidanceScale = 3,
            });
        }

        var first = Run(42);
        Assert.Equal(first, Run(42));
        Assert.NotEqual(first, Run(43));
        Assert.All(first, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Wrong_lengths_are_refused_with_the_expected_sizes()
    {
        using var unet = ModelLoader.UNet(tiny.Bundle, 32, 32);
        var latentError = Assert.Throws<ArgumentException>(() => unet.Denoise(new float[63], 1, 1, new float[16], new float[63], CancellationToken.None));
        Assert.Contains("need 64 floats; latents has 63", latentError.Message);
        var contextError = Assert.Throws<ArgumentException>(() => unet.Denoise(new float[64], 1, 1, new float[20], new float[64], CancellationToken.None));
        Assert.Contains("not a whole number of 16-wide tokens", contextError.Message);
        Assert.Throws<ArgumentException>(() => ModelLoader.UNet(tiny.Bundle, 30, 32));
    }
}
