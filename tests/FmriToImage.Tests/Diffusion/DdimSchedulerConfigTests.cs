using FmriToImage.Diffusion;

namespace FmriToImage.Tests.Diffusion;

public sealed class DdimSchedulerConfigTests
{
    // Stable Diffusion v1.5's scheduler/scheduler_config.json (a PNDM config; research file §3.1).
    internal const string Sd15SchedulerConfig = """
        {
          "_class_name": "PNDMScheduler",
          "_diffusers_version": "0.6.0",
          "beta_end": 0.012,
          "beta_schedule": "scaled_linear",
          "beta_start": 0.00085,
          "num_train_timesteps": 1000,
          "set_alpha_to_one": false,
          "skip_prk_steps": true,
          "steps_offset": 1,
          "trained_betas": null,
          "clip_sample": false
        }
        """;

    [Fact]
    public void Defaults_are_diffusers_defaults()
    {
        var c = new DdimSchedulerConfig();
        Assert.Equal(1000, c.NumTrainTimesteps);
        Assert.Equal(0.0001, c.BetaStart);
        Assert.Equal(0.02, c.BetaEnd);
        Assert.Equal(BetaSchedule.Linear, c.BetaSchedule);
        Assert.Null(c.TrainedBetas);
        Assert.True(c.ClipSample);
        Assert.Equal(1.0, c.ClipSampleRange);
        Assert.True(c.SetAlphaToOne);
        Assert.Equal(0, c.StepsOffset);
        Assert.Equal(PredictionType.Epsilon, c.PredictionType);
        Assert.False(c.Thresholding);
        Assert.Equal(0.995, c.DynamicThresholdingRatio);
        Assert.Equal(1.0, c.SampleMaxValue);
        Assert.Equal(TimestepSpacing.Leading, c.TimestepSpacing);
        Assert.False(c.RescaleBetasZeroSnr);
        Assert.Equal(c, DdimSchedulerConfig.FromJson("{}"));
    }

    [Fact]
    public void Sd15_pndm_config_reads_as_its_ddim_schedule_ignoring_other_keys()
    {
        DdimSchedulerConfig c = DdimSchedulerConfig.FromJson(Sd15SchedulerConfig);
        Assert.Equal(new DdimSchedulerConfig
        {
            BetaStart = 0.00085,
            BetaEnd = 0.012,
            BetaSchedule = BetaSchedule.ScaledLinear,
            SetAlphaToOne = false,
            StepsOffset = 1,
            ClipSample = false,
        }, c);
    }

    [Fact]
    public void Every_key_is_read()
    {
        DdimSchedulerConfig c = DdimSchedulerConfig.FromJson("""
            {"num_train_timesteps": 4, "beta_start": 0.1, "beta_end": 0.2, "beta_schedule": "squaredcos_cap_v2",
             "trained_betas": [0.1, 0.2, 0.3, 0.4], "clip_sample": false, "clip_sample_range": 2.5,
             "set_alpha_to_one": false, "steps_offset": 1, "prediction_type": "v_prediction", "thresholding": true,
             "dynamic_thresholding_ratio": 0.9, "sample_max_value": 3.0, "timestep_spacing": "trailing",
             "rescale_betas_zero_snr": true, "variance_type": "fixed_small", "some_future_key": {"a": [1]}}
            """);
        Assert.Equal(4, c.NumTrainTimesteps);
        Assert.Equal(0.1, c.BetaStart);
        Assert.Equal(0.2, c.BetaEnd);
        Assert.Equal(BetaSchedule.SquaredCosCapV2, c.BetaSchedule);
        Assert.Equal([0.1, 0.2, 0.3, 0.4], c.TrainedBetas!);
        Assert.False(c.ClipSample);
        Assert.Equal(2.5, c.ClipSampleRange);
        Assert.False(c.SetAlphaToOne);
        Assert.Equal(1, c.StepsOffset);
        Assert.Equal(PredictionType.VPrediction, c.PredictionType);
        Assert.True(c.Thresholding);
        Assert.Equal(0.9, c.DynamicThresholdingRatio);
        Assert.Equal(3.0, c.SampleMaxValue);
        Assert.Equal(TimestepSpacing.Trailing, c.TimestepSpacing);
        Assert.True(c.RescaleBetasZeroSnr);
    }

    [Fact]
    public void Integral_float_is_accepted_for_an_integer_key()
    {
        Assert.Equal(1000, DdimSchedulerConfig.FromJson("""{"num_train_timesteps": 1000.0}""").NumTrainTimesteps);
    }

    [Theory]
    [InlineData("beta_schedule", "sigmoid")]
    [InlineData("beta_schedule", "laplace")]
    [InlineData("prediction_type", "flow")]
    [InlineData("timestep_spacing", "karras")]
    public void Unsupported_option_value_throws_NotSupported_naming_it(string key, string value)
    {
        var e = Assert.Throws<NotSupportedException>(() => DdimSchedulerConfig.FromJson($$"""{"{{key}}": "{{value}}"}"""));
        Assert.Contains(key, e.Message);
        Assert.Contains(value, e.Message);
    }

    [Theory]
    [InlineData("""{"num_train_timesteps": "1000"}""", "num_train_timesteps")]
    [InlineData("""{"num_train_timesteps": 10.5}""", "num_train_timesteps")]
    [InlineData("""{"clip_sample": 1}""", "clip_sample")]
    [InlineData("""{"beta_start": null}""", "beta_start")]
    [InlineData("""{"beta_schedule": 3}""", "beta_schedule")]
    [InlineData("""{"trained_betas": [0.1, "x"]}""", "trained_betas")]
    [InlineData("""{"trained_betas": 0.1}""", "trained_betas")]
    [InlineData("""[1, 2]""", "object")]
    [InlineData("""{"beta_start": """, "JSON")]
    public void Malformed_config_throws_SchedulerConfigException_naming_the_key(string json, string mentioned)
    {
        var e = Assert.Throws<SchedulerConfigException>(() => DdimSchedulerConfig.FromJson(json));
        Assert.Contains(mentioned, e.Message);
        Assert.IsAssignableFrom<FmriToImageException>(e);
    }

    [Fact]
    public void Undefined_enum_value_in_code_throws_NotSupported_at_construction()
    {
        var e = Assert.Throws<NotSupportedException>(() => new DdimScheduler(new DdimSchedulerConfig { BetaSchedule = (BetaSchedule)42 }));
        Assert.Contains("beta_schedule", e.Message);
        Assert.Throws<NotSupportedException>(() => new DdimScheduler(new DdimSchedulerConfig { PredictionType = (PredictionType)9 }));
        Assert.Throws<NotSupportedException>(() => new DdimScheduler(new DdimSchedulerConfig { TimestepSpacing = (TimestepSpacing)9 }));
    }

    [Theory]
    [InlineData("""{"num_train_timesteps": 1e9}""", "1e9")]
    [InlineData("""{"num_train_timesteps": 100001}""", "100001")]
    [InlineData("""{"num_train_timesteps": 1e300}""", "1e300")]
    public void Num_train_timesteps_above_the_limit_is_refused_before_anything_is_allocated(string json, string value)
    {
        // 1e9 once allocated 8 GB of betas in the scheduler's constructor.
        var e = Assert.Throws<SchedulerConfigException>(() => DdimSchedulerConfig.FromJson(json));
        Assert.Contains(value, e.Message);
        Assert.Contains($"at most {DdimSchedulerConfig.MaxTrainTimesteps}", e.Message);
        Assert.Equal(DdimSchedulerConfig.MaxTrainTimesteps, DdimSchedulerConfig.FromJson($$"""{"num_train_timesteps": {{DdimSchedulerConfig.MaxTrainTimesteps}}}""").NumTrainTimesteps);
        Assert.Throws<ArgumentOutOfRangeException>(() => new DdimScheduler(new DdimSchedulerConfig { NumTrainTimesteps = DdimSchedulerConfig.MaxTrainTimesteps + 1 }));
    }
}
