namespace FmriToImage.Diffusion;

/// <summary>
/// The configuration of an <see cref="EdmEulerScheduler"/>: diffusers' <c>EDMEulerScheduler</c> constructor
/// arguments with diffusers' defaults. Read one with <see cref="FromJson"/>.
/// </summary>
internal sealed record EdmEulerSchedulerConfig
{
    /// <summary>The smallest sigma of the schedule (<c>sigma_min</c>, default 0.002).</summary>
    public double SigmaMin { get; init; } = 0.002;

    /// <summary>The largest sigma of the schedule (<c>sigma_max</c>, default 80).</summary>
    public double SigmaMax { get; init; } = 80.0;

    /// <summary>The data standard deviation of the EDM preconditioning (<c>sigma_data</c>, default 0.5).</summary>
    public double SigmaData { get; init; } = 0.5;

    /// <summary>The sigma spacing (<c>sigma_schedule</c>, default karras).</summary>
    public EdmSigmaSchedule SigmaSchedule { get; init; } = EdmSigmaSchedule.Karras;

    /// <summary>Bounds the step count only (<c>num_train_timesteps</c>, default 1000).</summary>
    public int NumTrainTimesteps { get; init; } = 1000;

    /// <summary>What the model predicts (<c>prediction_type</c>: epsilon or v_prediction; default epsilon).</summary>
    public PredictionType PredictionType { get; init; } = PredictionType.Epsilon;

    /// <summary>ρ of the Karras schedule (<c>rho</c>, default 7).</summary>
    public double Rho { get; init; } = 7.0;

    /// <summary>The last sigma (<c>final_sigmas_type</c>, default zero).</summary>
    public FinalSigmaType FinalSigmasType { get; init; } = FinalSigmaType.Zero;

    /// <summary>Reads a diffusers <c>scheduler_config.json</c> as <c>EDMEulerScheduler.from_config</c> does (other keys ignored).</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="SchedulerConfigException">Not a JSON object, or a known key with the wrong JSON type.</exception>
    /// <exception cref="NotSupportedException">A known key names a value this scheduler does not implement.</exception>
    public static EdmEulerSchedulerConfig FromJson(string json)
    {
        const string Name = "EDMEuler";
        var config = new EdmEulerSchedulerConfig();
        SchedulerJson.ForEachProperty(json, (key, v) => config = key switch
        {
            "sigma_min" => config with { SigmaMin = SchedulerJson.ReadDouble(key, v) },
            "sigma_max" => config with { SigmaMax = SchedulerJson.ReadDouble(key, v) },
            "sigma_data" => config with { SigmaData = SchedulerJson.ReadDouble(key, v) },
            "sigma_schedule" => config with
            {
                SigmaSchedule = SchedulerJson.ReadString(key, v) switch
                {
                    "karras" => EdmSigmaSchedule.Karras,
                    "exponential" => EdmSigmaSchedule.Exponential,
                    string other => throw new NotSupportedException(
                        $"sigma_schedule \"{other}\" is not supported by the {Name} scheduler; expected \"karras\" or \"exponential\"."),
                },
            },
            "num_train_timesteps" => config with { NumTrainTimesteps = SchedulerJson.ReadInt(key, v) },
            "prediction_type" => config with
            {
                PredictionType = SchedulerJson.ParsePredictionType(SchedulerJson.ReadString(key, v), Name, PredictionType.Epsilon, PredictionType.VPrediction),
            },
            "rho" => config with { Rho = SchedulerJson.ReadDouble(key, v) },
            "final_sigmas_type" => config with { FinalSigmasType = SchedulerJson.ParseFinalSigmas(SchedulerJson.ReadString(key, v), Name) },
            _ => config,
        });
        return config;
    }
}
