using System.Text.Json;
using FmriToImage.Diffusion;

namespace FmriToImage.Tests.Diffusion;

/// <summary>
/// Ports of diffusers' tests/schedulers/test_scheduler_ddim.py plus the schedule, spacing and option coverage the
/// port needs. Golden values: tests/fixtures/diffusion/ddim_reference.py (float64 numpy), see <see cref="DdimReference"/>.
/// </summary>
public sealed class DdimSchedulerTests
{
    private static DdimScheduler Base(Func<DdimSchedulerConfig, DdimSchedulerConfig>? change = null)
    {
        var config = new DdimSchedulerConfig { NumTrainTimesteps = 1000, BetaStart = 0.0001, BetaEnd = 0.02, BetaSchedule = BetaSchedule.Linear, ClipSample = true };
        return new DdimScheduler(change is null ? config : change(config));
    }

    public static TheoryData<string> ScheduleNames() => new(DdimReference.Root.GetProperty("schedules").EnumerateObject().Select(p => p.Name));

    [Theory]
    [MemberData(nameof(ScheduleNames))]
    public void Alphas_cumprod_match_the_float64_reference(string name)
    {
        JsonElement entry = DdimReference.Root.GetProperty("schedules").GetProperty(name);
        double[] expected = DdimReference.Doubles(entry.GetProperty("alphas_cumprod"));
        var scheduler = DdimReference.Scheduler(entry.GetProperty("config"));
        ReadOnlySpan<double> actual = scheduler.AlphasCumprod;
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-12 * Math.Max(expected[i], 1e-3), $"{name}[{i}]: {actual[i]:R} vs {expected[i]:R}");
        }
    }

    [Fact]
    public void Sd_schedule_matches_quoted_values_and_zero_snr_ends_at_zero()
    {
        var sd = new DdimScheduler(DdimSchedulerConfig.FromJson(DdimSchedulerConfigTests.Sd15SchedulerConfig));
        Assert.Equal(0.99915, sd.AlphasCumprod[0], 12);
        Assert.Equal(0.998296, sd.AlphasCumprod[1], 6);
        Assert.Equal(0.0046601, sd.AlphasCumprod[999], 7);
        Assert.Equal(0.99915, sd.FinalAlphaCumprod, 12); // set_alpha_to_one = false

        var zero = new DdimScheduler(new DdimSchedulerConfig { BetaSchedule = BetaSchedule.ScaledLinear, BetaStart = 0.00085, BetaEnd = 0.012, RescaleBetasZeroSnr = true });
        Assert.Equal(0.0, zero.AlphasCumprod[999]);
        Assert.Equal(sd.AlphasCumprod[0], zero.AlphasCumprod[0], 12);
    }

    [Fact]
    public void Trained_betas_replace_the_schedule_and_must_have_T_values()
    {
        var s = new DdimScheduler(new DdimSchedulerConfig { NumTrainTimesteps = 3, TrainedBetas = [0.1, 0.2, 0.5] });
        Assert.Equal(0.9, s.AlphasCumprod[0], 15);
        Assert.Equal(0.9 * 0.8, s.AlphasCumprod[1], 15);
        Assert.Equal(0.9 * 0.8 * 0.5, s.AlphasCumprod[2], 15);
        var e = Assert.Throws<ArgumentException>(() => new DdimScheduler(new DdimSchedulerConfig { NumTrainTimesteps = 4, TrainedBetas = [0.1, 0.2] }));
        Assert.Contains("2", e.Message);
        Assert.Contains("4", e.Message);
    }

    public static TheoryData<string, int, int, int> TimestepCases()
    {
        var data = new TheoryData<string, int, int, int>();
        foreach (JsonElement e in DdimReference.Root.GetProperty("timesteps").EnumerateArray())
        {
            data.Add(e.GetProperty("spacing").GetString()!, e.GetProperty("steps").GetInt32(), e.GetProperty("steps_offset").GetInt32(), e.GetProperty("num_train_timesteps").GetInt32());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TimestepCases))]
    public void Timestep_tables_match_the_reference(string spacing, int steps, int offset, int trainSteps)
    {
        JsonElement entry = DdimReference.Root.GetProperty("timesteps").EnumerateArray().Single(e =>
            e.GetProperty("spacing").GetString() == spacing && e.GetProperty("steps").GetInt32() == steps &&
            e.GetProperty("steps_offset").GetInt32() == offset && e.GetProperty("num_train_timesteps").GetInt32() == trainSteps);
        var s = new DdimScheduler(new DdimSchedulerConfig
        {
            NumTrainTimesteps = trainSteps,
            StepsOffset = offset,
            TimestepSpacing = DdimSchedulerConfig.ParseTimestepSpacing(spacing),
        });
        s.SetTimesteps(steps);
        Assert.Equal(DdimReference.Ints(entry.GetProperty("timesteps")), s.Timesteps);
        Assert.Equal(steps, s.NumInferenceSteps);
    }

    [Fact]
    public void Steps_offset_one_gives_diffusers_table() // test_steps_offset
    {
        var s = Base(c => c with { StepsOffset = 1 });
        s.SetTimesteps(5);
        Assert.Equal([801, 601, 401, 201, 1], s.Timesteps);
    }

    [Fact]
    public void Sd15_config_50_steps_gives_981_to_1()
    {
        var s = new DdimScheduler(DdimSchedulerConfig.FromJson(DdimSchedulerConfigTests.Sd15SchedulerConfig));
        s.SetTimesteps(50);
        Assert.Equal(Enumerable.Range(0, 50).Select(k => 981 - (20 * k)), s.Timesteps);
    }

    [Fact]
    public void Before_SetTimesteps_every_training_timestep_is_listed()
    {
        var s = Base(c => c with { NumTrainTimesteps = 10 });
        Assert.Equal([9, 8, 7, 6, 5, 4, 3, 2, 1, 0], s.Timesteps);
        Assert.Null(s.NumInferenceSteps);
    }

    [Fact]
    public void Variance_points_match_upstream_and_reference() // test_variance
    {
        var s = Base();
        foreach (JsonElement e in DdimReference.Root.GetProperty("variance").EnumerateArray())
        {
            double actual = s.GetVariance(e.GetProperty("t").GetInt32(), e.GetProperty("prev").GetInt32());
            Assert.Equal(e.GetProperty("value").GetDouble(), actual, 12);
        }

        // Upstream constants (tolerance 1e-5 there).
        Assert.Equal(0.0, s.GetVariance(0, 0), 5);
        Assert.True(Math.Abs(s.GetVariance(420, 400) - 0.14771) < 1e-5);
        Assert.True(Math.Abs(s.GetVariance(980, 960) - 0.32460) < 1e-5);
        Assert.True(Math.Abs(s.GetVariance(487, 486) - 0.00979) < 1e-5);
        Assert.True(Math.Abs(s.GetVariance(999, 998) - 0.02) < 1e-5);
    }

    public static TheoryData<string> FullLoopNames() => new(DdimReference.Root.GetProperty("full_loops").EnumerateArray().Select(e => e.GetProperty("name").GetString()!));

    /// <summary>
    /// diffusers' full_loop: dummy model m = x·t/(t+1) on dummy_sample_deter, 10 steps (or as listed), then |x| sum/mean.
    /// Thresholding is per sample (4 samples of 3×8×8).
    /// </summary>
    [Theory]
    [MemberData(nameof(FullLoopNames))]
    public void Full_loop_matches_reference_and_upstream_constants(string name)
    {
        JsonElement e = DdimReference.Root.GetProperty("full_loops").EnumerateArray().Single(x => x.GetProperty("name").GetString() == name);
        var s = DdimReference.Scheduler(e.GetProperty("config"));
        s.SetTimesteps(e.GetProperty("steps").GetInt32());
        float eta = (float)e.GetProperty("eta").GetDouble();
        bool useClipped = e.GetProperty("use_clipped_model_output").GetBoolean();
        float[] x = DdimReference.DummySampleDeter();
        if (e.GetProperty("widen").GetBoolean())
        {
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = (40f * x[i]) - 20f;
            }
        }

        float[] noise = DdimReference.DummyNoiseDeter();
        int start = e.GetProperty("start").GetInt32();
        if (e.GetProperty("add_noise").GetBoolean())
        {
            s.AddNoise(x, noise, s.Timesteps[start], x);
        }

        var residual = new float[x.Length];
        const int sampleLength = 3 * 8 * 8;
        for (int k = start; k < s.Timesteps.Count; k++)
        {
            int t = s.Timesteps[k];
            for (int i = 0; i < x.Length; i++)
            {
                residual[i] = x[i] * t / (t + 1);
            }

            for (int b = 0; b < 4; b++)
            {
                Span<float> xb = x.AsSpan(b * sampleLength, sampleLength);
                ReadOnlySpan<float> zb = e.GetProperty("variance_noise").GetBoolean() ? noise.AsSpan(b * sampleLength, sampleLength) : default;
                s.Step(residual.AsSpan(b * sampleLength, sampleLength), t, xb, xb, eta, useClipped, zb);
            }
        }

        DdimReference.AssertClose(DdimReference.Doubles(e.GetProperty("result")), x, 2e-5, name);
        double sum = x.Sum(v => Math.Abs((double)v));
        double mean = sum / x.Length;
        Assert.True(Math.Abs(sum - e.GetProperty("result_sum").GetDouble()) < 1e-2 * Math.Max(1, sum / 100), $"{name}: sum {sum}");
        if (e.TryGetProperty("upstream_sum", out JsonElement upstreamSum))
        {
            Assert.True(Math.Abs(sum - upstreamSum.GetDouble()) < 1e-2, $"{name}: sum {sum} vs upstream {upstreamSum.GetDouble()}");
            Assert.True(Math.Abs(mean - e.GetProperty("upstream_mean").GetDouble()) < 1e-3, $"{name}: mean {mean}");
        }
    }

    [Fact]
    public void Add_noise_and_velocity_match_the_reference()
    {
        JsonElement e = DdimReference.Root.GetProperty("add_noise");
        var s = DdimReference.Scheduler(e.GetProperty("config"));
        int t = e.GetProperty("t").GetInt32();
        float[] x0 = DdimReference.DummySampleDeter(), noise = DdimReference.DummyNoiseDeter();
        var noisy = new float[x0.Length];
        var velocity = new float[x0.Length];
        s.AddNoise(x0, noise, t, noisy);
        s.GetVelocity(x0, noise, t, velocity);
        DdimReference.AssertClose(DdimReference.Doubles(e.GetProperty("noisy")), noisy, 1e-6, "add_noise");
        DdimReference.AssertClose(DdimReference.Doubles(e.GetProperty("velocity")), velocity, 1e-6, "get_velocity");
    }

    [Fact]
    public void Eta_without_variance_noise_draws_from_the_noise_source_or_throws()
    {
        var s = Base();
        s.SetTimesteps(10);
        float[] x = DdimReference.DummySampleDeter();
        var m = new float[x.Length];
        var viaSource = new float[x.Length];
        var explicitNoise = new float[x.Length];
        Assert.Throws<InvalidOperationException>(() => s.Step(m, 500, x, viaSource, eta: 0.5f));

        s.NoiseSource = new GaussianNoiseSource(3);
        s.Step(m, 500, x, viaSource, eta: 0.5f);
        var z = new float[x.Length];
        new GaussianNoiseSource(3).Fill(z);
        s.Step(m, 500, x, explicitNoise, eta: 0.5f, varianceNoise: z);
        Assert.Equal(explicitNoise, viaSource);
    }

    [Fact]
    public void SetTimesteps_out_of_range_names_the_limits()
    {
        var s = Base();
        var zero = Assert.Throws<ArgumentOutOfRangeException>(() => s.SetTimesteps(0));
        Assert.Contains("[1, 1000]", zero.Message);
        var tooMany = Assert.Throws<ArgumentOutOfRangeException>(() => s.SetTimesteps(1001));
        Assert.Contains("[1, 1000]", tooMany.Message);
        Assert.Contains("1001", tooMany.Message);
        Assert.Null(s.NumInferenceSteps);

        // Leading spacing with an offset that would step past T-1.
        var offset = Base(c => c with { StepsOffset = 1 });
        var past = Assert.Throws<ArgumentOutOfRangeException>(() => offset.SetTimesteps(1000));
        Assert.Contains("999", past.Message);
    }

    [Fact]
    public void Step_before_SetTimesteps_throws_InvalidOperation()
    {
        var s = Base();
        var x = new float[8];
        Assert.Throws<InvalidOperationException>(() => s.Step(x, 10, x, x));
    }

    [Fact]
    public void Span_length_mismatch_names_both_lengths()
    {
        var s = Base();
        s.SetTimesteps(10);
        var e1 = Assert.Throws<ArgumentException>(() => s.Step(new float[7], 900, new float[8], new float[8]));
        Assert.Contains("7", e1.Message);
        Assert.Contains("8", e1.Message);
        var e2 = Assert.Throws<ArgumentException>(() => s.Step(new float[8], 900, new float[8], new float[9]));
        Assert.Contains("9", e2.Message);
        var e3 = Assert.Throws<ArgumentException>(() => s.Step(new float[8], 900, new float[8], new float[8], 0.5f, false, new float[5]));
        Assert.Contains("5", e3.Message);
        var e4 = Assert.Throws<ArgumentException>(() => s.AddNoise(new float[3], new float[4], 10, new float[3]));
        Assert.Contains("3", e4.Message);
        Assert.Contains("4", e4.Message);
        Assert.Throws<ArgumentException>(() => s.GetVelocity(new float[4], new float[4], 10, new float[2]));
    }

    [Fact]
    public void Partial_overlap_is_rejected_but_exact_aliasing_is_allowed()
    {
        var s = Base();
        s.SetTimesteps(10);
        var buffer = new float[20];
        Assert.Throws<ArgumentException>(() => s.Step(buffer.AsSpan(0, 10), 900, buffer.AsSpan(2, 10), buffer.AsSpan(2, 10)));
        Assert.Throws<ArgumentException>(() => s.Step(buffer.AsSpan(10, 10), 900, buffer.AsSpan(0, 10), buffer.AsSpan(5, 10)));
        s.Step(buffer.AsSpan(10, 10), 900, buffer.AsSpan(0, 10), buffer.AsSpan(0, 10));
        s.AddNoise(buffer.AsSpan(0, 10), buffer.AsSpan(10, 10), 5, buffer.AsSpan(10, 10));
    }

    [Fact]
    public void Timestep_and_eta_out_of_range_throw()
    {
        var s = Base();
        s.SetTimesteps(10);
        var x = new float[8];
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Step(x, 1000, x, x));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Step(x, -1, x, x));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Step(x, 900, x, x, eta: -0.1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Step(x, 900, x, x, eta: float.NaN));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Step(x, 900, x, x, eta: 3f, varianceNoise: x));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.AddNoise(x, x, 1000, x));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.GetVariance(1000, 0));
    }

    [Fact]
    public void Construction_rejects_bad_numbers()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DdimScheduler(new DdimSchedulerConfig { NumTrainTimesteps = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DdimScheduler(new DdimSchedulerConfig { StepsOffset = -1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new DdimScheduler(new DdimSchedulerConfig { DynamicThresholdingRatio = 1.5 }));
        Assert.Throws<ArgumentNullException>(() => new DdimScheduler(null!));
    }

    [Fact]
    public void Unknown_beta_schedule_in_json_throws_NotSupported_naming_it()
    {
        var e = Assert.Throws<NotSupportedException>(() => new DdimScheduler(DdimSchedulerConfig.FromJson("""{"beta_schedule": "exponential"}""")));
        Assert.Contains("exponential", e.Message);
        Assert.Contains("beta_schedule", e.Message);
    }
}
