using FmriToImage.Diffusion;
using FmriToImage.Pipelines;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Tests.Models;

public sealed class VaeTests(TinyBundle tiny) : IClassFixture<TinyBundle>
{
    [Fact]
    public void The_decoder_reads_scale_channels_and_downsampling_from_the_bundle()
    {
        var decoder = ModelLoader.VaeDecoder(tiny.Bundle);
        Assert.Equal(0.5, decoder.ScalingFactor);
        Assert.Equal(4, decoder.LatentChannels);
        Assert.Equal(8, decoder.DownsamplingFactor);
    }

    [Fact]
    public void Decoding_divides_scaled_latents_by_the_scaling_factor_before_the_graph()
    {
        var decoder = ModelLoader.VaeDecoder(tiny.Bundle);
        var scaled = Enumerable.Range(0, 64).Select(i => 0.1f * (i % 9)).ToArray();
        var images = decoder.Decode(scaled, 1, 4, 4);
        Assert.Equal([(nint)1, 3, 32, 32], images.Lengths.ToArray());

        using var raw = OrtValue.CreateTensor(scaled.Select(v => v / 0.5f).ToArray(), [1, 4, 4, 4]);
        using var outputs = tiny.Bundle.VaeDecoder!.Session.Run([new("latent_sample", raw)]);
        // Equal up to summation order: ONNX Runtime's kernels may sum in another order for buffers at another alignment.
        Assert.Equal(outputs[0].ToArray<float>(), images.ToArray(), (a, b) => Math.Abs(a - b) <= 1e-6f * Math.Max(1f, Math.Abs(a)));
    }

    [Fact]
    public void Encoding_takes_the_mean_or_a_sample_of_the_latent_distribution_times_the_scale()
    {
        var encoder = ModelLoader.VaeEncoder(tiny.Bundle);
        var images = Enumerable.Range(0, 2 * 3 * 32 * 32).Select(i => MathF.Sin(i * 0.01f)).ToArray();
        using var input = OrtValue.CreateTensor(images, [2, 3, 32, 32]);
        using var outputs = tiny.Bundle.VaeEncoder!.Session.Run([new("sample", input)]);
        var parameters = outputs[0].ToArray<float>(); // [2, 8, 4, 4]: mean ‖ logvar per image

        var mean = encoder.Encode(images, 2, 32, 32);
        Assert.Equal([(nint)2, 4, 4, 4], mean.Lengths.ToArray());
        var epsilon = Enumerable.Range(0, 128).Select(i => (i % 5) - 2f).ToArray();
        var sampled = encoder.Encode(images, 2, 32, 32, new FixedNoiseSource(epsilon));

        for (var b = 0; b < 2; b++)
        {
            for (var k = 0; k < 64; k++)
            {
                var mu = parameters[(b * 128) + k];
                var logVariance = Math.Clamp(parameters[(b * 128) + 64 + k], -30f, 20f);
                Assert.Equal(mu * 0.5f, mean[b, k / 16, k / 4 % 4, k % 4], 6);
                var expected = (mu + (Math.Exp(0.5 * logVariance) * epsilon[(b * 64) + k])) * 0.5;
                Assert.Equal(expected, sampled[b, k / 16, k / 4 % 4, k % 4], 5);
            }
        }
    }

    [Fact]
    public void A_batch_decodes_in_runs_of_at_most_the_pixels_per_run_and_gives_the_images_one_run_gives()
    {
        var whole = ModelLoader.VaeDecoder(tiny.Bundle);
        var session = tiny.Bundle.VaeDecoder!.Session;
        var inPairs = new FmriToImage.Models.VaeDecoder(session, whole.ScalingFactor, 4, 8, pixelsPerRun: (2 * 32 * 32) + 5);
        Assert.Equal(2, inPairs.ImagesPerRun(4, 4));
        Assert.Equal(1, new FmriToImage.Models.VaeDecoder(session, whole.ScalingFactor, 4, 8, pixelsPerRun: 7).ImagesPerRun(4, 4));
        Assert.Equal(512 / 32 * 512 / 32, whole.ImagesPerRun(4, 4));      // the default: 512² pixels = 256 images of 32²
        Assert.Equal(1, whole.ImagesPerRun(64, 64));                      // one 512² image per run

        var latents = Enumerable.Range(0, 5 * 64).Select(i => MathF.Sin(i * 0.37f)).ToArray();
        var oneRun = whole.DecodeImages(latents, 5, 4, 4, FmriToImage.Imaging.ImageNormalization.SignedUnit);
        var runs = inPairs.DecodeImages(latents, 5, 4, 4, FmriToImage.Imaging.ImageNormalization.SignedUnit);   // 2 + 2 + 1
        Assert.Equal(5, runs.Length);
        for (var i = 0; i < 5; i++)
        {
            // Within one grey level: a kernel may sum in another order for a buffer at another alignment.
            Assert.Equal(oneRun[i].Pixels.ToArray(), runs[i].Pixels.ToArray(), (a, b) => Math.Abs(a - b) <= 1);
        }

        Assert.Throws<ArgumentException>(() => inPairs.DecodeImages(new float[63], 1, 4, 4, FmriToImage.Imaging.ImageNormalization.SignedUnit));
    }

    [Fact]
    public void Wrong_lengths_are_refused()
    {
        Assert.Throws<ArgumentException>(() => ModelLoader.VaeDecoder(tiny.Bundle).Decode(new float[63], 1, 4, 4));
        Assert.Throws<ArgumentException>(() => ModelLoader.VaeEncoder(tiny.Bundle).Encode(new float[10], 1, 32, 32));
    }
}
