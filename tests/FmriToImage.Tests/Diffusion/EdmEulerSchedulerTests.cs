using System.Text.Json;
using FmriToImage.Diffusion;

namespace FmriToImage.Tests.Diffusion;

/// <summary>
/// EdmEulerScheduler (diffusers' EDMEulerScheduler) and SgmEulerEdmScheduler (sgm's EulerEDMSampler) against
/// tests/fixtures/diffusion/euler_reference.py; its first EDM case is diffusers' test_full_loop_no_noise (34.1855 / 0.044).
/// </summary>
public sealed class EdmEulerSchedulerTests
{
    private static JsonElement Edm => SchedulerReference.EulerRoot.GetProperty("edm");

    private static JsonElement Sgm => SchedulerReference.EulerRoot.GetProperty("sgm");

    public static TheoryData<string> EdmNames() => SchedulerReference.Names(Edm);

    public static TheoryData<string> SgmNames() => SchedulerReference.Names(Sgm);

    [Theory]
    [MemberData(nameof(EdmNames))]
    public void Edm_loop_matches_the_reference(string name)
    {
        JsonElement run = SchedulerReference.Case(Edm, name);
        var scheduler = Assert.IsType<EdmEulerScheduler>(SchedulerReference.Scheduler(run));
        float[] x = SchedulerReference.Run(scheduler, run.GetProperty("steps").GetInt32(), null, false, out _);

        DdimReference.AssertClose(DdimReference.Doubles(run.GetProperty("sigmas")), scheduler.Sigmas.ToArray().Select(v => (float)v).ToArray(), 1e-6, name + " sigmas");
        DdimReference.AssertClose(DdimReference.Doubles(run.GetProperty("timesteps")), scheduler.Timesteps.ToArray().Select(v => (float)v).ToArray(), 1e-6, name + " timesteps");
        Assert.Equal(run.GetProperty("init_noise_sigma").GetDouble(), scheduler.InitNoiseSigma, 1e-9);
        SchedulerReference.AssertSample(run, x);
    }

    [Fact]
    public void Edm_meets_the_diffusers_published_constants()
    {
        JsonElement run = SchedulerReference.Case(Edm, "diffusers_full_loop");
        float[] x = SchedulerReference.Run(SchedulerReference.Scheduler(run), 10, null, false, out _);
        double sum = x.Sum(v => Math.Abs((double)v));
        Assert.True(Math.Abs(sum - 34.1855) < 1e-3, $"sum {sum}");
        Assert.True(Math.Abs((sum / x.Length) - 0.044) < 1e-3, $"mean {sum / x.Length}");
    }

    [Theory]
    [MemberData(nameof(SgmNames))]
    public void Sgm_loop_matches_the_reference(string name)
    {
        JsonElement run = SchedulerReference.Case(Sgm, name);
        var scheduler = Assert.IsType<SgmEulerEdmScheduler>(SchedulerReference.Scheduler(run));
        double? strength = run.GetProperty("strength").ValueKind == JsonValueKind.Number ? run.GetProperty("strength").GetDouble() : null;
        float[] x = SchedulerReference.Run(scheduler, run.GetProperty("steps").GetInt32(), strength, false, out int start);

        Assert.Equal(DdimReference.Doubles(run.GetProperty("timesteps")), Enumerable.Range(0, scheduler.StepCount).Select(scheduler.ModelTimestep));
        DdimReference.AssertClose(DdimReference.Doubles(run.GetProperty("sigmas")), scheduler.Sigmas.ToArray().Select(v => (float)v).ToArray(), 1e-7, name + " sigmas");
        Assert.Equal(run.GetProperty("init_noise_sigma").GetDouble(), scheduler.InitNoiseSigma, 1e-6);
        Assert.Equal(run.GetProperty("start_index").GetInt32(), start);
        SchedulerReference.AssertSample(run, x);
    }

    [Fact]
    public void Sgm_38_steps_run_from_t_999_to_26_then_sigma_0()
    {
        var scheduler = new SgmEulerEdmScheduler(new SgmEulerEdmSchedulerConfig());
        scheduler.SetTimesteps(38);
        Assert.Equal(999, scheduler.ModelTimestep(0));
        Assert.Equal(26, scheduler.ModelTimestep(37));
        Assert.Equal(0, scheduler.Sigmas[38]);
        Assert.Equal(39, scheduler.Sigmas.Length);
    }

    [Fact]
    public void Sample_prediction_is_refused()
    {
        Assert.Throws<NotSupportedException>(() => DiffusionSchedulers.FromJson("{\"_class_name\": \"EDMEulerScheduler\", \"prediction_type\": \"sample\"}"));
        Assert.Throws<NotSupportedException>(() => DiffusionSchedulers.FromJson("{\"_class_name\": \"SgmEulerEDMScheduler\", \"prediction_type\": \"sample\"}"));
        Assert.Throws<NotSupportedException>(() => DiffusionSchedulers.FromJson("{\"_class_name\": \"EDMEulerScheduler\", \"sigma_schedule\": \"linear\"}"));
        Assert.Throws<ArgumentOutOfRangeException>(() => DiffusionSchedulers.FromJson("{\"_class_name\": \"EDMEulerScheduler\", \"sigma_min\": 100}"));
    }
}
