using System.Text.Json;
using FmriToImage.Diffusion;

namespace FmriToImage.Tests.Diffusion;

public sealed class SamplerTests
{
    private static DdimSchedulerConfig SdConfig => DdimSchedulerConfig.FromJson(DdimSchedulerConfigTests.Sd15SchedulerConfig);

    /// <summary>The reference's toy network: out[b,i] = 0.5·x[b,i]·t/(t+1) + 0.01·cond[b, i mod K].</summary>
    private sealed class ToyDenoiser : IDenoiser
    {
        public List<(int Batch, double Timestep, float[] Conditioning)> Calls { get; } = [];

        public void Denoise(ReadOnlySpan<float> latents, int batchSize, double timestep, ReadOnlySpan<float> conditioning, Span<float> destination, CancellationToken cancellationToken)
        {
            Calls.Add((batchSize, timestep, conditioning.ToArray()));
            int length = latents.Length / batchSize;
            int k = conditioning.Length / batchSize;
            for (int b = 0; b < batchSize; b++)
            {
                for (int i = 0; i < length; i++)
                {
                    float c = k == 0 ? 0f : conditioning[(b * k) + (i % k)];
                    destination[(b * length) + i] = (0.5f * latents[(b * length) + i] * (float)timestep / ((float)timestep + 1)) + (0.01f * c);
                }
            }
        }
    }

    public static TheoryData<string> RunNames() => new(DdimReference.Root.GetProperty("sampler").GetProperty("runs").EnumerateArray().Select(e => e.GetProperty("name").GetString()!));

    /// <summary>Whole loops (noise order, CFG batching, img2img start, η noise) against ddim_reference.py's sampler.</summary>
    [Theory]
    [MemberData(nameof(RunNames))]
    public void Loop_matches_the_reference(string name)
    {
        JsonElement root = DdimReference.Root.GetProperty("sampler");
        JsonElement run = root.GetProperty("runs").EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
        var denoiser = new ToyDenoiser();
        var sampler = new Sampler(DdimReference.Scheduler(root.GetProperty("config")), denoiser);
        var request = new DiffusionRequest
        {
            BatchSize = root.GetProperty("batch").GetInt32(),
            LatentLength = root.GetProperty("latent_length").GetInt32(),
            Noise = new GaussianNoiseSource(run.GetProperty("seed").GetUInt64()),
            Conditioning = DdimReference.Floats(root.GetProperty("conditioning")),
            UnconditionalConditioning = DdimReference.Floats(root.GetProperty("unconditional")),
            NumInferenceSteps = run.GetProperty("steps").GetInt32(),
            GuidanceScale = run.GetProperty("guidance").GetDouble(),
            Eta = (float)run.GetProperty("eta").GetDouble(),
        };
        if (run.GetProperty("strength").ValueKind == JsonValueKind.Number)
        {
            request = request with { InitLatents = DdimReference.Floats(root.GetProperty("init")), Strength = run.GetProperty("strength").GetDouble() };
        }

        float[] result = sampler.Sample(request);

        Assert.Equal(DdimReference.Ints(run.GetProperty("timesteps")).Select(t => (double)t), denoiser.Calls.Select(c => c.Timestep));
        DdimReference.AssertClose(DdimReference.Doubles(run.GetProperty("result")), result, 2e-5, name);
    }

    [Fact]
    public void Guidance_batches_unconditional_first_and_skips_it_at_scale_one()
    {
        float[] cond = [1, 2, 3, 4], uncond = [-1, -2, -3, -4];
        var guided = new ToyDenoiser();
        new Sampler(new DdimScheduler(SdConfig), guided).Sample(new DiffusionRequest
        {
            BatchSize = 2,
            LatentLength = 6,
            NumInferenceSteps = 3,
            GuidanceScale = 5,
            Conditioning = cond,
            UnconditionalConditioning = uncond,
            Noise = new GaussianNoiseSource(1),
        });
        Assert.Equal(3, guided.Calls.Count);
        Assert.All(guided.Calls, c => Assert.Equal(4, c.Batch));
        Assert.All(guided.Calls, c => Assert.Equal([-1f, -2, -3, -4, 1, 2, 3, 4], c.Conditioning));

        foreach (double scale in new[] { 1.0, 0.5 })
        {
            var plain = new ToyDenoiser();
            new Sampler(new DdimScheduler(SdConfig), plain).Sample(new DiffusionRequest
            {
                BatchSize = 2,
                LatentLength = 6,
                NumInferenceSteps = 3,
                GuidanceScale = scale,
                Conditioning = cond,
                Noise = new GaussianNoiseSource(1),
            });
            Assert.All(plain.Calls, c => Assert.Equal(2, c.Batch));
            Assert.All(plain.Calls, c => Assert.Equal(cond, c.Conditioning));
        }
    }

    public static TheoryData<double> Strengths() => new(DdimReference.Root.GetProperty("img2img_start").EnumerateArray().Select(e => e.GetProperty("strength").GetDouble()));

    /// <summary>Modern diffusers: init = min(⌊n·s⌋, n), t_start = n − init, noise at timesteps[t_start] (SD config, n = 50).</summary>
    [Theory]
    [MemberData(nameof(Strengths))]
    public void Img2img_start_follows_modern_diffusers(double strength)
    {
        JsonElement e = DdimReference.Root.GetProperty("img2img_start").EnumerateArray().Single(x => x.GetProperty("strength").GetDouble() == strength);
        int tStart = e.GetProperty("t_start").GetInt32();
        Assert.Equal(tStart, Sampler.Img2ImgStartIndex(50, strength));

        // The loop runs exactly timesteps[t_start..], and the noise goes in at timesteps[t_start]:
        // with a zero init and a denoiser that records its first input, that input is √(1−ᾱ_t)·noise.
        var scheduler = new DdimScheduler(SdConfig);
        var recorder = new FirstInputRecorder();
        const int length = 16;
        var noise = new float[length];
        new GaussianNoiseSource(77).Fill(noise);
        float[] result = new Sampler(scheduler, recorder).Sample(new DiffusionRequest
        {
            LatentLength = length,
            NumInferenceSteps = 50,
            GuidanceScale = 1,
            Strength = strength,
            InitLatents = new float[length],
            Noise = new FixedNoiseSource(noise),
        });

        Assert.Equal(e.GetProperty("steps_run").GetInt32(), recorder.Timesteps.Count);
        if (tStart == 50)
        {
            Assert.Equal(new float[length], result); // strength 0: the init comes back unchanged
            return;
        }

        int noiseTimestep = e.GetProperty("noise_timestep").GetInt32();
        Assert.Equal(noiseTimestep, recorder.Timesteps[0]);
        scheduler.SetTimesteps(50);
        Assert.Equal(scheduler.Timesteps.Skip(tStart).Select(t => (double)t), recorder.Timesteps);
        float expectedScale = (float)Math.Sqrt(1 - scheduler.AlphasCumprod[noiseTimestep]);
        for (int i = 0; i < length; i++)
        {
            Assert.Equal(expectedScale * noise[i], recorder.FirstInput![i], 6);
        }
    }

    [Theory]
    [InlineData(10, 0.7, 3)]   // 10·0.7 = 7.000000000000001 → 7
    [InlineData(50, 0.8, 10)]
    [InlineData(3, 0.5, 2)]    // int(1.5) = 1
    [InlineData(1, 1.0, 0)]
    [InlineData(1, 0.99, 1)]
    public void Img2img_start_index_truncates_like_python_int(int steps, double strength, int expected)
    {
        Assert.Equal(expected, Sampler.Img2ImgStartIndex(steps, strength));
    }

    private sealed class FirstInputRecorder : IDenoiser
    {
        public float[]? FirstInput { get; private set; }

        public List<double> Timesteps { get; } = [];

        public void Denoise(ReadOnlySpan<float> latents, int batchSize, double timestep, ReadOnlySpan<float> conditioning, Span<float> destination, CancellationToken cancellationToken)
        {
            FirstInput ??= latents.ToArray();
            Timesteps.Add(timestep);
            destination.Clear();
        }
    }

    /// <summary>
    /// A denoiser that knows x₀ and returns the exact ε (or v) for whatever x_t it is given: DDIM with η = 0 must then
    /// land on x₀ from pure noise (set_alpha_to_one, so the last step reaches ᾱ = 1).
    /// </summary>
    private sealed class OracleDenoiser(float[] x0, DdimScheduler scheduler, PredictionType type) : IDenoiser
    {
        public void Denoise(ReadOnlySpan<float> latents, int batchSize, double timestep, ReadOnlySpan<float> conditioning, Span<float> destination, CancellationToken cancellationToken)
        {
            double a = scheduler.AlphasCumprod[(int)timestep];
            double sa = Math.Sqrt(a), sb = Math.Sqrt(1 - a);
            for (int i = 0; i < latents.Length; i++)
            {
                double target = x0[i % x0.Length];
                double eps = (latents[i] - (sa * target)) / sb;
                destination[i] = (float)(type == PredictionType.VPrediction ? (sa * eps) - (sb * target) : eps);
            }
        }
    }

    [Theory]
    [InlineData(PredictionType.Epsilon, 50, 1.0)]
    [InlineData(PredictionType.VPrediction, 50, 1.0)]
    [InlineData(PredictionType.Epsilon, 20, 7.5)]
    [InlineData(PredictionType.VPrediction, 37, 3.0)]
    public void Oracle_denoiser_recovers_x0_from_pure_noise(PredictionType type, int steps, double guidance)
    {
        var scheduler = new DdimScheduler(SdConfig with { SetAlphaToOne = true, PredictionType = type });
        const int length = 4 * 8 * 8;
        var x0 = new float[length];
        for (int i = 0; i < length; i++)
        {
            x0[i] = (float)(0.8 * Math.Sin(0.37 * i) + (0.1 * Math.Cos(1.3 * i)));
        }

        float[] result = new Sampler(scheduler, new OracleDenoiser(x0, scheduler, type)).Sample(new DiffusionRequest
        {
            LatentLength = length,
            NumInferenceSteps = steps,
            GuidanceScale = guidance,
            Conditioning = new float[3],
            UnconditionalConditioning = new float[3],
            Noise = new GaussianNoiseSource(5),
        });

        double err = 0, norm = 0;
        for (int i = 0; i < length; i++)
        {
            err += (result[i] - x0[i]) * (double)(result[i] - x0[i]);
            norm += x0[i] * (double)x0[i];
        }

        Assert.True(Math.Sqrt(err / norm) < 1e-4, $"relative error {Math.Sqrt(err / norm):G3}");
    }

    [Fact]
    public void Same_seed_gives_bit_identical_latents_and_different_seeds_differ()
    {
        float[] Run(ulong seed) => new Sampler(new DdimScheduler(SdConfig), new ToyDenoiser()).Sample(new DiffusionRequest
        {
            BatchSize = 2,
            LatentLength = 64,
            NumInferenceSteps = 10,
            Eta = 0.3f,
            Conditioning = new float[] { 1, 2 },
            UnconditionalConditioning = new float[] { 0, 0 },
            Noise = new GaussianNoiseSource(seed),
        });

        float[] a = Run(42), b = Run(42), c = Run(43);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public async Task Cancellation_mid_loop_throws_and_leaves_the_sampler_usable()
    {
        using var cts = new CancellationTokenSource();
        var denoiser = new ToyDenoiser();
        var sampler = new Sampler(new DdimScheduler(SdConfig), denoiser);
        var request = new DiffusionRequest { LatentLength = 16, NumInferenceSteps = 20, GuidanceScale = 1, Noise = new GaussianNoiseSource(1) };
        var progress = new InlineProgress<DiffusionStep>(step =>
        {
            if (step.Index == 2)
            {
                cts.Cancel();
            }
        });

        Assert.ThrowsAny<OperationCanceledException>(() => sampler.Sample(request, progress, cts.Token));
        Assert.Equal(3, denoiser.Calls.Count); // steps 0, 1, 2 ran; the check before step 3 stopped it

        // Nothing is left held: the same sampler runs the next request.
        float[] after = await sampler.SampleAsync(request with { Noise = new GaussianNoiseSource(1), NumInferenceSteps = 4 });
        Assert.Equal(16, after.Length);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sampler.SampleAsync(request, null, cts.Token));
    }

    [Fact]
    public void Cancellation_token_reaches_the_denoiser()
    {
        using var cts = new CancellationTokenSource();
        CancellationToken seen = default;
        var sampler = new Sampler(new DdimScheduler(SdConfig), new DelegateDenoiser((_, _, _, _, d, ct) => { seen = ct; d.Clear(); }));
        sampler.Sample(new DiffusionRequest { LatentLength = 4, NumInferenceSteps = 2, GuidanceScale = 1, Noise = new GaussianNoiseSource(1) }, null, cts.Token);
        Assert.Equal(cts.Token, seen);
    }

    [Fact]
    public void Progress_reports_every_step_in_order()
    {
        var steps = new List<DiffusionStep>();
        new Sampler(new DdimScheduler(SdConfig), new ToyDenoiser()).Sample(
            new DiffusionRequest { LatentLength = 4, NumInferenceSteps = 10, Strength = 0.5, InitLatents = new float[4], GuidanceScale = 1, Noise = new GaussianNoiseSource(1) },
            new InlineProgress<DiffusionStep>(steps.Add));
        Assert.Equal([0, 1, 2, 3, 4], steps.Select(s => s.Index));
        Assert.All(steps, s => Assert.Equal(5, s.Count));
        Assert.Equal([401, 301, 201, 101, 1], steps.Select(s => s.Timestep));
        Assert.True(steps.Zip(steps.Skip(1)).All(p => p.First.Elapsed <= p.Second.Elapsed));
    }

    /// <summary>
    /// After the first step, a step allocates nothing (CFG, η noise and per-sample scheduler steps included). The loop
    /// runs up to three times and one allocation-free run suffices: a one-off runtime event on the thread (tiered JIT,
    /// seen once in CI as 4,056 bytes in one run) is not a per-step allocation, which every run would show.
    /// </summary>
    [Fact]
    public void Steady_state_steps_allocate_nothing()
    {
        const int steps = 12;
        var sampler = new Sampler(new DdimScheduler(SdConfig with { Thresholding = true }), new DelegateDenoiser(static (x, _, _, _, d, _) =>
        {
            for (int i = 0; i < d.Length; i++)
            {
                d[i] = 0.1f * x[i];
            }
        }));
        long SteadyStateBytes()
        {
            var allocated = new long[steps];
            var progress = new InlineProgress<DiffusionStep>(s => allocated[s.Index] = GC.GetAllocatedBytesForCurrentThread());
            sampler.Sample(new DiffusionRequest
            {
                BatchSize = 2,
                LatentLength = 4 * 16 * 16,
                NumInferenceSteps = steps,
                GuidanceScale = 7.5,
                Eta = 0.5f,
                Conditioning = new float[2 * 8],
                UnconditionalConditioning = new float[2 * 8],
                Noise = new GaussianNoiseSource(9),
            }, progress);
            return allocated[^1] - allocated[1];
        }

        var runs = new List<long>();
        for (int run = 0; run < 3 && (runs.Count == 0 || runs[^1] != 0); run++)
        {
            runs.Add(SteadyStateBytes());
        }

        Assert.True(runs[^1] == 0, $"bytes allocated between step 1 and step {steps - 1}, per run: {string.Join(", ", runs)}");
    }

    [Fact]
    public void Bad_requests_are_rejected_before_running()
    {
        var denoiser = new ToyDenoiser();
        var sampler = new Sampler(new DdimScheduler(SdConfig), denoiser);
        var ok = new DiffusionRequest { BatchSize = 2, LatentLength = 8, NumInferenceSteps = 5, Conditioning = new float[4], UnconditionalConditioning = new float[4], Noise = new GaussianNoiseSource(1) };

        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Sample(ok with { NumInferenceSteps = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Sample(ok with { NumInferenceSteps = 1001 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Sample(ok with { BatchSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Sample(ok with { Eta = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Sample(ok with { GuidanceScale = double.NaN }));
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Sample(ok with { InitLatents = new float[16], Strength = 1.5 }));
        var unc = Assert.Throws<ArgumentException>(() => sampler.Sample(ok with { UnconditionalConditioning = new float[2] }));
        Assert.Contains("2", unc.Message);
        Assert.Contains("4", unc.Message);
        var init = Assert.Throws<ArgumentException>(() => sampler.Sample(ok with { InitLatents = new float[15] }));
        Assert.Contains("15", init.Message);
        Assert.Contains("16", init.Message);
        Assert.Throws<ArgumentException>(() => sampler.Sample(ok with { Conditioning = new float[3], GuidanceScale = 1 }));
        Assert.Throws<ArgumentException>(() => sampler.Sample(ok, new float[15]));
        Assert.Throws<ArgumentNullException>(() => sampler.Sample(ok with { Noise = null! }));
        Assert.Empty(denoiser.Calls);
    }

    [Fact]
    public async Task Concurrent_use_of_one_sampler_is_refused()
    {
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        Sampler? sampler = null;
        sampler = new Sampler(new DdimScheduler(SdConfig), new DelegateDenoiser((_, _, _, _, d, _) =>
        {
            entered.Set();
            release.Wait();
            d.Clear();
        }));
        var request = new DiffusionRequest { LatentLength = 4, NumInferenceSteps = 2, GuidanceScale = 1, Noise = new GaussianNoiseSource(1) };
        Task<float[]> first = sampler.SampleAsync(request);
        entered.Wait();
        Assert.Throws<InvalidOperationException>(() => sampler.Sample(request with { Noise = new GaussianNoiseSource(2) }));
        release.Set();
        Assert.Equal(4, (await first).Length);
    }

    private delegate void DenoiseAction(ReadOnlySpan<float> latents, int batchSize, double timestep, ReadOnlySpan<float> conditioning, Span<float> destination, CancellationToken cancellationToken);

    private sealed class DelegateDenoiser(DenoiseAction action) : IDenoiser
    {
        public void Denoise(ReadOnlySpan<float> latents, int batchSize, double timestep, ReadOnlySpan<float> conditioning, Span<float> destination, CancellationToken cancellationToken) =>
            action(latents, batchSize, timestep, conditioning, destination, cancellationToken);
    }
}
