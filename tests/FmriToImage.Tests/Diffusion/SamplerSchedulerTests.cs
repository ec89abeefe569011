using System.Text.Json;
using FmriToImage.Diffusion;

namespace FmriToImage.Tests.Diffusion;

/// <summary>The Sampler driving the Euler, sgm Euler-EDM and PNDM schedulers, against the reference loops of euler_reference.py and pndm_reference.py.</summary>
public sealed class SamplerSchedulerTests
{
    public static TheoryData<string, string> Runs() => new()
    {
        { "euler", "sd_leading_offset1_25" },
        { "euler", "sd_img2img_strength_0.6" },
        { "euler", "sd_linspace_30_karras" },
        { "euler", "cosine_linspace_7_sigma_min" },
        { "edm", "diffusers_full_loop" },
        { "edm", "v_prediction_exponential_8" },
        { "edm", "sigma_min_final_rho_5_12" },
        { "sgm", "mindeye2_38" },
        { "sgm", "img2img_25_strength_0.52" },
        { "pndm", "sd_plms_50" },
        { "pndm", "sd_plms_img2img_20_strength_0.75" },
    };

    /// <summary>The reference's dummy fixtures as a batch of 4 latents of 192 floats, dummy model as the denoiser, no guidance.</summary>
    [Theory]
    [MemberData(nameof(Runs))]
    public void Sampler_reproduces_the_reference_loop(string family, string name)
    {
        JsonElement cases = family == "pndm" ? SchedulerReference.PndmRoot.GetProperty("cases") : SchedulerReference.EulerRoot.GetProperty(family);
        JsonElement run = SchedulerReference.Case(cases, name);
        double? strength = run.TryGetProperty("strength", out JsonElement s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : null;
        var request = new DiffusionRequest
        {
            BatchSize = 4,
            LatentLength = 192,
            NumInferenceSteps = run.GetProperty("steps").GetInt32(),
            GuidanceScale = 1,
            Noise = new FixedNoiseSource(strength is null ? DdimReference.DummySampleDeter() : DdimReference.DummyNoiseDeter()),
        };
        if (strength is { } value)
        {
            request = request with { InitLatents = DdimReference.DummySampleDeter(), Strength = value };
        }

        var sampler = new Sampler(SchedulerReference.Scheduler(run), new DummyDenoiser());
        SchedulerReference.AssertSample(run, sampler.Sample(request));
    }

    /// <summary>Euler in linspace spacing gives fractional timesteps (n = 7: 999, 832.5, …); they reach the denoiser unrounded.</summary>
    [Fact]
    public void Fractional_timesteps_reach_the_denoiser_unrounded()
    {
        var denoiser = new DummyDenoiser();
        var scheduler = new EulerDiscreteScheduler(new EulerDiscreteSchedulerConfig());
        var sampler = new Sampler(scheduler, denoiser);
        var request = new DiffusionRequest { LatentLength = 8, NumInferenceSteps = 7, GuidanceScale = 1, Noise = new GaussianNoiseSource(1) };

        sampler.Sample(request);
        Assert.Equal(Enumerable.Range(0, 7).Select(scheduler.ModelTimestep), denoiser.Timesteps);
        Assert.Equal(832.5, denoiser.Timesteps[1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => sampler.Sample(request with { NumInferenceSteps = 10, Eta = 0.5f }));
        Assert.Equal(7, denoiser.Calls);
    }

    public static TheoryData<string> AllocationSchedulers() => new()
    {
        "{\"_class_name\": \"EulerDiscreteScheduler\", \"timestep_spacing\": \"leading\", \"steps_offset\": 1}",
        "{\"_class_name\": \"SgmEulerEDMScheduler\"}",
        "{\"_class_name\": \"PNDMScheduler\", \"skip_prk_steps\": true, \"steps_offset\": 1}",
        "{\"_class_name\": \"PNDMScheduler\"}",
        "{\"_class_name\": \"EulerDiscreteScheduler\", \"use_karras_sigmas\": true}",
        "{\"_class_name\": \"EDMEulerScheduler\"}",
    };

    /// <summary>Like SamplerTests' DDIM allocation test: after the first steps, a guided batched loop allocates nothing.</summary>
    [Theory]
    [MemberData(nameof(AllocationSchedulers))]
    public void Steps_allocate_nothing(string config)
    {
        const int steps = 12;
        IDiffusionScheduler scheduler = DiffusionSchedulers.FromJson(config);
        var allocated = new long[64];
        var progress = new InlineProgress<DiffusionStep>(s => allocated[s.Index] = GC.GetAllocatedBytesForCurrentThread());
        new Sampler(scheduler, new DummyDenoiser()).Sample(new DiffusionRequest
        {
            BatchSize = 2,
            LatentLength = 4 * 16 * 16,
            NumInferenceSteps = steps,
            GuidanceScale = 7.5,
            Conditioning = new float[2 * 8],
            UnconditionalConditioning = new float[2 * 8],
            Noise = new GaussianNoiseSource(9),
        }, progress);

        int count = scheduler.StepCount;
        Assert.Equal(0, allocated[count - 1] - allocated[1]);
    }

    private sealed class DummyDenoiser : IDenoiser
    {
        public int Calls { get; private set; }

        public List<double> Timesteps { get; } = new(64); // presized: recording allocates nothing

        public void Denoise(ReadOnlySpan<float> latents, int batchSize, double timestep, ReadOnlySpan<float> conditioning, Span<float> destination, CancellationToken cancellationToken)
        {
            Calls++;
            if (Timesteps.Count < 64)
            {
                Timesteps.Add(timestep);
            }

            SchedulerReference.DummyModel(latents, (float)timestep, destination);
        }
    }
}
