using FmriToImage.Diffusion;

namespace FmriToImage.Tests.Diffusion;

public sealed class DiffusionSchedulersTests
{
    [Theory]
    [InlineData("DDIMScheduler", typeof(DdimScheduler))]
    [InlineData("EulerDiscreteScheduler", typeof(EulerDiscreteScheduler))]
    [InlineData("EDMEulerScheduler", typeof(EdmEulerScheduler))]
    [InlineData("PNDMScheduler", typeof(PndmScheduler))]
    [InlineData("SgmEulerEDMScheduler", typeof(SgmEulerEdmScheduler))]
    public void Class_name_selects_the_scheduler(string className, Type expected)
    {
        IDiffusionScheduler scheduler = DiffusionSchedulers.FromJson($"{{\"_class_name\": \"{className}\", \"num_train_timesteps\": 1000}}");
        Assert.IsType(expected, scheduler);
        Assert.Equal(className, scheduler.ClassName);
        Assert.Contains(className, DiffusionSchedulers.SupportedClassNames);
    }

    [Fact]
    public void Unknown_class_names_are_refused_naming_the_supported_ones()
    {
        var e = Assert.Throws<SchedulerConfigException>(() => DiffusionSchedulers.FromJson("{\"_class_name\": \"LMSDiscreteScheduler\"}"));
        Assert.Contains("LMSDiscreteScheduler", e.Message);
        Assert.Contains("EulerDiscreteScheduler", e.Message);
        Assert.Contains("PNDMScheduler", e.Message);
        Assert.Throws<SchedulerConfigException>(() => DiffusionSchedulers.FromJson("{\"beta_start\": 0.1}"));
        Assert.Throws<SchedulerConfigException>(() => DiffusionSchedulers.FromJson("{\"_class_name\": 3}"));
        Assert.Throws<SchedulerConfigException>(() => DiffusionSchedulers.FromJson("[1]"));
        Assert.Throws<SchedulerConfigException>(() => DiffusionSchedulers.FromJson("{\"_class_name\": \"EulerDiscreteScheduler\", \"beta_start\": \"x\"}"));
    }

    [Fact]
    public void The_demo_bundle_config_gives_its_ddim_schedule()
    {
        string json = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "bundle", "tiny", "scheduler", "scheduler_config.json"))
            .Replace("PNDMScheduler", "DDIMScheduler", StringComparison.Ordinal);
        var scheduler = Assert.IsType<DdimScheduler>(DiffusionSchedulers.FromJson(json));
        IDiffusionScheduler generic = scheduler;
        generic.SetTimesteps(50);
        Assert.Equal(50, generic.StepCount);
        Assert.Equal(981, generic.ModelTimestep(0));
        Assert.Equal(1, generic.ModelTimestep(49));
        Assert.Equal(40, 50 - generic.Img2ImgStartIndex(0.8));
    }

    /// <summary>A hostile num_train_timesteps ends in a typed error at construction, before any table is built.</summary>
    [Theory]
    [InlineData("EulerDiscreteScheduler")]
    [InlineData("EDMEulerScheduler")]
    [InlineData("PNDMScheduler")]
    [InlineData("SgmEulerEDMScheduler")]
    public void Huge_training_timestep_counts_are_refused(string className)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => DiffusionSchedulers.FromJson($"{{\"_class_name\": \"{className}\", \"num_train_timesteps\": 2000000000}}"));
        Assert.Contains("2000000000", e.Message);
        Assert.Contains("10000", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => DiffusionSchedulers.FromJson($"{{\"_class_name\": \"{className}\", \"num_train_timesteps\": 0}}"));
    }
}
