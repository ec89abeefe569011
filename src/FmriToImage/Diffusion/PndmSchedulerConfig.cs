namespace FmriToImage.Diffusion;

/// <summary>
/// The configuration of a <see cref="PndmScheduler"/>: diffusers' <c>PNDMScheduler</c> constructor arguments with
/// diffusers' defaults. Read one with <see cref="FromJson"/>.
/// </summary>
internal sealed record PndmSchedulerConfig
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

    /// <summary>
    /// Run only the linear multistep (PLMS) steps (<c>skip_prk_steps</c>, default false: the first steps are
    /// Runge-Kutta, as the PNDM paper; Stable Diffusion ships true).
    /// </summary>
    public bool SkipPrkSteps { get; init; }

    /// <summary>Use ᾱ = 1 as the "previous" ᾱ of the last step, else ᾱ₀ (<c>set_alpha_to_one</c>, default false).</summary>
    public bool SetAlphaToOne { get; init; }

    /// <summary>What the model predicts (<c>prediction_type</c>: epsilon or v_prediction; default epsilon).</summary>
    public PredictionType PredictionType { get; init; } = PredictionType.Epsilon;

    /// <summary>How inference timesteps are chosen (<c>timestep_spacing</c>, default leading).</summary>
    public TimestepSpacing TimestepSpacing { get; init; } = TimestepSpacing.Leading;

    /// <summary>Added to every timestep in leading spacing (<c>steps_offset</c>, default 0; SD 1.5 ships 1).</summary>
    public int StepsOffset { get; init; }

    /// <summary>Reads a diffusers <c>scheduler_config.json</c> as <c>PNDMScheduler.from_config</c> does (other keys ignored).</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="SchedulerConfigException">Not a JSON object, or a known key with the wrong JSON type.</exception>
    /// <exception cref="NotSupportedException">A known key names a value this scheduler does not implement.</exception>
    public static PndmSchedulerConfig FromJson(string json)
    {
        const string Name = "PNDM";
        var config = new PndmSchedulerConfig();
        SchedulerJson.ForEachProperty(json, (key, v) => config = key switch
        {
            "num_train_timesteps" => config with { NumTrainTimesteps = SchedulerJson.ReadInt(key, v) },
            "beta_start" => config with { BetaStart = SchedulerJson.ReadDouble(key, v) },
            "beta_end" => config with { BetaEnd = SchedulerJson.ReadDouble(key, v) },
            "beta_schedule" => config with { BetaSchedule = SchedulerJson.ParseBetaSchedule(SchedulerJson.ReadString(key, v), Name) },
            "trained_betas" => config with { TrainedBetas = SchedulerJson.ReadDoubleArray(key, v) },
            "skip_prk_steps" => config with { SkipPrkSteps = SchedulerJson.ReadBool(key, v) },
            "set_alpha_to_one" => config with { SetAlphaToOne = SchedulerJson.ReadBool(key, v) },
            "prediction_type" => config with
            {
                PredictionType = SchedulerJson.ParsePredictionType(SchedulerJson.ReadString(key, v), Name, PredictionType.Epsilon, PredictionType.VPrediction),
            },
            "timestep_spacing" => config with { TimestepSpacing = SchedulerJson.ParseTimestepSpacing(SchedulerJson.ReadString(key, v), Name) },
            "steps_offset" => config with { StepsOffset = SchedulerJson.ReadInt(key, v) },
            _ => config,
        });
        return config;
    }
}
