using System.Text.Json;
using FmriToImage.Diffusion;

namespace FmriToImage.Tests.Diffusion;

/// <summary>
/// PndmScheduler against tests/fixtures/diffusion/pndm_reference.py; its first four cases are diffusers'
/// test_scheduler_pndm.py full loops (Runge-Kutta start), which the script asserts against the published constants.
/// </summary>
public sealed class PndmSchedulerTests
{
    private static JsonElement Cases => SchedulerReference.PndmRoot.GetProperty("cases");

    public static TheoryData<string> CaseNames() => SchedulerReference.Names(Cases);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Loop_matches_the_reference(string name)
    {
        JsonElement run = SchedulerReference.Case(Cases, name);
        var scheduler = Assert.IsType<PndmScheduler>(SchedulerReference.Scheduler(run));
        double? strength = run.GetProperty("strength").ValueKind == JsonValueKind.Number ? run.GetProperty("strength").GetDouble() : null;
        float[] x = SchedulerReference.Run(scheduler, run.GetProperty("steps").GetInt32(), strength, false, out int start);

        Assert.Equal(DdimReference.Ints(run.GetProperty("timesteps")), scheduler.Timesteps.ToArray());
        Assert.Equal(run.GetProperty("start_index").GetInt32(), start);
        SchedulerReference.AssertSample(run, x);
    }

    [Fact]
    public void Diffusers_timesteps_with_steps_offset_1()
    {
        var scheduler = new PndmScheduler(new PndmSchedulerConfig { StepsOffset = 1 });
        scheduler.SetTimesteps(10);
        Assert.Equal([901, 851, 851, 801, 801, 751, 751, 701, 701, 651, 651, 601, 601, 501, 401, 301, 201, 101, 1], scheduler.Timesteps.ToArray());
    }

    [Fact]
    public void Plms_repeats_the_second_timestep()
    {
        var scheduler = (PndmScheduler)DiffusionSchedulers.FromJson(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "bundle", "tiny", "scheduler", "scheduler_config.json")));
        scheduler.SetTimesteps(50);
        Assert.Equal(51, scheduler.StepCount);
        Assert.Equal([981, 961, 961, 941], scheduler.Timesteps[..4].ToArray());
        Assert.Equal(1, scheduler.Timesteps[^1]);
    }

    [Fact]
    public void Runge_kutta_start_needs_four_steps()
    {
        var scheduler = new PndmScheduler(new PndmSchedulerConfig());
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => scheduler.SetTimesteps(3));
        Assert.Contains("4", e.Message);
        scheduler.SetTimesteps(4);
        new PndmScheduler(new PndmSchedulerConfig { SkipPrkSteps = true }).SetTimesteps(1);
    }
}
