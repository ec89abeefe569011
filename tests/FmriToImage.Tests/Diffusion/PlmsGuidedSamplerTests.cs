using System.Text.Json;
using FmriToImage.Diffusion;

namespace FmriToImage.Tests.Diffusion;

/// <summary>
/// The Sampler driving PndmScheduler end to end — PLMS with and without the Runge-Kutta start, a batch of 2, classifier-free
/// guidance with the unconditional half first — against the float64 NumPy loop of
/// tests/fixtures/diffusion/plms_guided_reference.py (transcribed from diffusers' scheduling_pndm.py and the guidance of
/// pipeline_stable_diffusion.py), with the script's conditioning-dependent fake denoiser.
/// </summary>
public sealed class PlmsGuidedSamplerTests
{
    private static readonly Lazy<JsonDocument> Reference = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "diffusion", "plms_guided_reference.json"))));

    private static JsonElement Root => Reference.Value.RootElement;

    public static TheoryData<string> CaseNames() => SchedulerReference.Names(Root.GetProperty("cases"));

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Sampler_reproduces_the_guided_reference_loop(string name)
    {
        JsonElement run = SchedulerReference.Case(Root.GetProperty("cases"), name);
        int batch = Root.GetProperty("batch").GetInt32();
        int latent = Root.GetProperty("latent_length").GetInt32();
        var noise = new float[batch * latent];
        for (int j = 0; j < noise.Length; j++)
        {
            noise[j] = (float)Math.Sin((0.37 * j) + 0.1);
        }

        var denoiser = new FakeDenoiser();
        var sampler = new Sampler(SchedulerReference.Scheduler(run), denoiser);
        float[] x = sampler.Sample(new DiffusionRequest
        {
            BatchSize = batch,
            LatentLength = latent,
            NumInferenceSteps = run.GetProperty("steps").GetInt32(),
            GuidanceScale = run.GetProperty("guidance").GetDouble(),
            Conditioning = Floats(run.GetProperty("conditioning")),
            UnconditionalConditioning = Floats(run.GetProperty("unconditional")),
            Noise = new FixedNoiseSource(noise),
        });

        Assert.Equal(run.GetProperty("timesteps").EnumerateArray().Select(t => t.GetDouble()), denoiser.Timesteps);
        double[] expected = run.GetProperty("sample").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(expected.Length, x.Length);
        for (int i = 0; i < x.Length; i++)
        {
            Assert.True(Math.Abs(x[i] - expected[i]) <= 1e-4 + (1e-4 * Math.Abs(expected[i])), $"{name}[{i}]: {x[i]} vs float64 {expected[i]}");
        }
    }

    private static float[] Floats(JsonElement array) => array.EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    /// <summary>eps[b, i] = x[b, i]·t/(t+1) + 0.1·c[b, i mod K], the script's fake_denoiser.</summary>
    private sealed class FakeDenoiser : IDenoiser
    {
        public List<double> Timesteps { get; } = [];

        public void Denoise(ReadOnlySpan<float> latents, int batchSize, double timestep, ReadOnlySpan<float> conditioning, Span<float> destination, CancellationToken cancellationToken)
        {
            Timesteps.Add(timestep);
            int length = latents.Length / batchSize;
            int k = conditioning.Length / batchSize;
            for (int b = 0; b < batchSize; b++)
            {
                for (int i = 0; i < length; i++)
                {
                    destination[(b * length) + i] = (float)((latents[(b * length) + i] * (timestep / (timestep + 1.0))) + (0.1 * conditioning[(b * k) + (i % k)]));
                }
            }
        }
    }
}
