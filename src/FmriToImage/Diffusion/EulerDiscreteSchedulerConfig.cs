namespace FmriToImage.Diffusion;

/// <summary>
/// The configuration of an <see cref="EulerDiscreteScheduler"/>: diffusers' <c>EulerDiscreteScheduler</c>
/// constructor arguments with diffusers' defaults. Read one with <see cref="FromJson"/>.
/// </summary>
internal sealed record EulerDiscreteSchedulerConfig
{
    /// <summary>T, the training timesteps (<c>num_train_timesteps</c>, default 1000).</summary>
    public int NumTrainTimesteps { get; init; } = 1000;

    /// <summary>β of the first training timestep (<c>beta_start</c>, default 0.0001).</summary>
    public double BetaStart { get; init; } = 0.0001;

    /// <summary>β of the last training timestep (<c>beta_end</c>, default 0.02).</summary>
    public double BetaEnd { get; init; } = 0.02;

    /// <summary>The β schedule (<c>beta_schedule</c>, default linear).</summary>
    public BetaSchedule BetaSchedule { get; init; } = BetaSchedule.Linear;

    /// <summary>Explicit β values, one per training timestep (<c>trained_betas</c>, default null).</summary>
    public IReadOnlyList<double>? TrainedBetas { get; init; }

    /// <summary>What the model predicts (<c>prediction_type</c>: epsilon, v_prediction or sample; default epsilon).</summary>
    public PredictionType PredictionType { get; init; } = PredictionType.Epsilon;

    /// <summary>Karras et al.'s ρ = 7 sigma spacing between the schedule's end sigmas (<c>use_karras_sigmas</c>, default false).</summary>
    public bool UseKarrasSigmas { get; init; }

    /// <summary>Overrides the smallest Karras sigma (<c>sigma_min</c>, default null: the schedule's own).</summary>
    public double? SigmaMin { get; init; }

    /// <summary>Overrides the largest Karras sigma (<c>sigma_max</c>, default null: the schedule's own).</summary>
    public double? SigmaMax { get; init; }

    /// <summary>How inference timesteps are chosen (<c>timestep_spacing</c>, default linspace for Euler).</summary>
    public TimestepSpacing TimestepSpacing { get; init; } = TimestepSpacing.Linspace;

    /// <summary>Added to every timestep in leading spacing (<c>steps_offset</c>, default 0).</summary>
    public int StepsOffset { get; init; }

    /// <summary>The last sigma (<c>final_sigmas_type</c>, default zero).</summary>
    public FinalSigmaType FinalSigmasType { get; init; } = FinalSigmaType.Zero;

    /// <summary>
    /// Reads a diffusers <c>scheduler_config.json</c> as <c>EulerDiscreteScheduler.from_config</c> does: Euler's keys
    /// are read, other keys ignored. Options this library does not implement are refused when set to a non-default
    /// value: <c>interpolation_type</c> other than "linear", <c>use_exponential_sigmas</c>, <c>use_beta_sigmas</c>,
    /// <c>timestep_type</c> other than "discrete", <c>rescale_betas_zero_snr</c>.
    /// </summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="SchedulerConfigException">Not a JSON object, or a known key with the wrong JSON type.</exception>
    /// <exception cref="NotSupportedException">A known key names a value this scheduler does not implement.</exception>
    public static EulerDiscreteSchedulerConfig FromJson(string json)
    {
        const string Name = "EulerDiscrete";
        var config = new EulerDiscreteSchedulerConfig();
        SchedulerJson.ForEachProperty(json, (key, v) => config = key switch
        {
            "num_train_timesteps" => config with { NumTrainTimesteps = SchedulerJson.ReadInt(key, v) },
            "beta_start" => config with { BetaStart = SchedulerJson.ReadDouble(key, v) },
            "beta_end" => config with { BetaEnd = SchedulerJson.ReadDouble(key, v) },
            "beta_schedule" => config with { BetaSchedule = SchedulerJson.ParseBetaSchedule(SchedulerJson.ReadString(key, v), Name) },
            "trained_betas" => config with { TrainedBetas = SchedulerJson.ReadDoubleArray(key, v) },
            "prediction_type" => config with
            {
                PredictionType = SchedulerJson.ParsePredictionType(SchedulerJson.ReadString(key, v), Name, PredictionType.Epsilon, PredictionType.VPrediction, PredictionType.Sample),
            },
            "use_karras_sigmas" => config with { UseKarrasSigmas = SchedulerJson.ReadBool(key, v) },
            "sigma_min" => config with { SigmaMin = SchedulerJson.ReadOptionalDouble(key, v) },
            "sigma_max" => config with { SigmaMax = SchedulerJson.ReadOptionalDouble(key, v) },
            "timestep_spacing" => config with { TimestepSpacing = SchedulerJson.ParseTimestepSpacing(SchedulerJson.ReadString(key, v), Name) },
            "steps_offset" => config with { StepsOffset = SchedulerJson.ReadInt(key, v) },
            "final_sigmas_type" => config with { FinalSigmasType = SchedulerJson.ParseFinalSigmas(SchedulerJson.ReadString(key, v), Name) },
            "interpolation_type" => Refuse(config, key, SchedulerJson.ReadString(key, v), "linear"),
            "timestep_type" => Refuse(config, key, SchedulerJson.ReadString(key, v), "discrete"),
            "use_exponential_sigmas" or "use_beta_sigmas" or "rescale_betas_zero_snr" => Refuse(config, key, SchedulerJson.ReadBool(key, v), false),
            _ => config,
        });
        return config;

        static EulerDiscreteSchedulerConfig Refuse<T>(EulerDiscreteSchedulerConfig config, string key, T value, T supported)
        {
            SchedulerJson.RequireValue(key, value, supported, Name);
            return config;
        }
    }
}
