using System.Text.Json;
using FmriToImage.Diffusion;

namespace FmriToImage.Tests.Diffusion;

/// <summary>EulerDiscreteScheduler against tests/fixtures/diffusion/euler_reference.py (which asserts diffusers' full-loop constants).</summary>
public sealed class EulerDiscreteSchedulerTests
{
    private static JsonElement Cases => SchedulerReference.EulerRoot.GetProperty("euler");

    public static TheoryData<string> CaseNames() => SchedulerReference.Names(Cases);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Schedule_matches_the_reference(string name)
    {
        JsonElement run = SchedulerReference.Case(Cases, name);
        var scheduler = Assert.IsType<EulerDiscreteScheduler>(SchedulerReference.Scheduler(run));
        scheduler.SetTimesteps(run.GetProperty("steps").GetInt32());

        DdimReference.AssertClose(DdimReference.Doubles(run.GetProperty("timesteps")), scheduler.Timesteps.ToArray().Select(v => (float)v).ToArray(), 1e-6, name + " timesteps");
        DdimReference.AssertClose(DdimReference.Doubles(run.GetProperty("sigmas")), scheduler.Sigmas.ToArray().Select(v => (float)v).ToArray(), 1e-6, name + " sigmas");
        Assert.Equal(run.GetProperty("init_noise_sigma").GetDouble(), scheduler.InitNoiseSigma, 1e-6 * scheduler.InitNoiseSigma);
    }

    /// <summary>Whole loops; the first three are diffusers' test_full_loop_no_noise / _with_v_prediction / _device_karras_sigmas.</summary>
    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Loop_matches_the_reference(string name)
    {
        JsonElement run = SchedulerReference.Case(Cases, name);
        double? strength = run.TryGetProperty("strength", out JsonElement s) ? s.GetDouble() : null;
        float[] x = SchedulerReference.Run(SchedulerReference.Scheduler(run), run.GetProperty("steps").GetInt32(), strength,
            run.GetProperty("quirk").GetBoolean(), out int start);

        SchedulerReference.AssertSample(run, x);
        if (strength is not null)
        {
            Assert.Equal(run.GetProperty("start_index").GetInt32(), start);
        }
    }

    [Fact]
    public void Diffusers_published_full_loop_sums_are_met()
    {
        // test_scheduler_euler.py: 10.0807 / 0.0131 (epsilon), 0.0002 / 2.2676e-06 (v), 124.52299 / 0.16213933 (Karras); tolerances 1e-2 and 1e-3.
        (string Name, double Sum, double Mean)[] published =
            [("diffusers_full_loop", 10.0807, 0.0131), ("diffusers_full_loop_v_prediction", 0.0002, 2.2676e-06), ("diffusers_full_loop_karras", 124.52299499511719, 0.16213932633399963)];
        foreach ((string name, double sum, double mean) in published)
        {
            JsonElement run = SchedulerReference.Case(Cases, name);
            float[] x = SchedulerReference.Run(SchedulerReference.Scheduler(run), 10, null, true, out _);
            double actual = x.Sum(v => Math.Abs((double)v));
            Assert.True(Math.Abs(actual - sum) < 1e-2, $"{name}: sum {actual} vs {sum}");
            Assert.True(Math.Abs((actual / x.Length) - mean) < 1e-3, $"{name}: mean {actual / x.Length} vs {mean}");
        }
    }

    [Fact]
    public void Unimplemented_options_are_refused_by_name()
    {
        foreach (string option in new[] { "\"interpolation_type\": \"log_linear\"", "\"use_exponential_sigmas\": true", "\"use_beta_sigmas\": true", "\"timestep_type\": \"continuous\"", "\"rescale_betas_zero_snr\": true" })
        {
            var e = Assert.Throws<NotSupportedException>(() => DiffusionSchedulers.FromJson($"{{\"_class_name\": \"EulerDiscreteScheduler\", {option}}}"));
            Assert.Contains(option.Split('"')[1], e.Message);
        }

        // Defaults are accepted.
        Assert.IsType<EulerDiscreteScheduler>(DiffusionSchedulers.FromJson(
            "{\"_class_name\": \"EulerDiscreteScheduler\", \"interpolation_type\": \"linear\", \"use_exponential_sigmas\": false, \"timestep_type\": \"discrete\", \"sigma_min\": null}"));
    }

    [Fact]
    public void Step_refuses_eta_and_bad_indices()
    {
        var scheduler = new EulerDiscreteScheduler(new EulerDiscreteSchedulerConfig());
        var x = new float[8];
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Step(x, 0, x, 8)); // before SetTimesteps
        scheduler.SetTimesteps(5);
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Step(new float[8], 0, x, 8, eta: 0.5f));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.Step(new float[8], 5, x, 8));
        Assert.Throws<ArgumentException>(() => scheduler.Step(new float[7], 0, x, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.SetTimesteps(1001));
    }
}
