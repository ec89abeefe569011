namespace FmriToImage.Diffusion;

/// <summary>
/// The configuration of an <see cref="SgmEulerEdmScheduler"/>, in a <c>scheduler_config.json</c> whose
/// <c>_class_name</c> is <c>"SgmEulerEDMScheduler"</c> (this library's name; diffusers has no such class). The keys
/// are those of Stability's generative-models (sgm) <c>LegacyDDPMDiscretization</c> plus the prediction type that
/// chooses its <c>EpsScaling</c> or <c>VScaling</c> denoiser wrapper; defaults are SDXL's.
/// </summary>
internal sealed record SgmEulerEdmSchedulerConfig
{
    /// <summary>T, the DDPM training timesteps (<c>num_train_timesteps</c>, sgm's <c>num_timesteps</c>; default 1000).</summary>
    public int NumTrainTimesteps { get; init; } = 1000;

    /// <summary>β_0 (<c>linear_start</c>, default 0.00085); √β is linear from √linear_start to √linear_end.</summary>
    public double LinearStart { get; init; } = 0.00085;

    /// <summary>β_{T−1} (<c>linear_end</c>, default 0.012).</summary>
    public double LinearEnd { get; init; } = 0.012;

    /// <summary>
    /// <c>prediction_type</c>: epsilon (sgm's <c>EpsScaling</c>, SDXL base and MindEye2's unCLIP) or v_prediction
    /// (<c>VScaling</c>); default epsilon.
    /// </summary>
    public PredictionType PredictionType { get; init; } = PredictionType.Epsilon;

    /// <summary>Reads the config (other keys, such as <c>_class_name</c>, are ignored).</summary>
    /// <param name="json">The JSON text.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="SchedulerConfigException">Not a JSON object, or a known key with the wrong JSON type.</exception>
    /// <exception cref="NotSupportedException">The prediction type is not epsilon or v_prediction.</exception>
    public static SgmEulerEdmSchedulerConfig FromJson(string json)
    {
        var config = new SgmEulerEdmSchedulerConfig();
        SchedulerJson.ForEachProperty(json, (key, v) => config = key switch
        {
            "num_train_timesteps" => config with { NumTrainTimesteps = SchedulerJson.ReadInt(key, v) },
            "linear_start" => config with { LinearStart = SchedulerJson.ReadDouble(key, v) },
            "linear_end" => config with { LinearEnd = SchedulerJson.ReadDouble(key, v) },
            "prediction_type" => config with
            {
                PredictionType = SchedulerJson.ParsePredictionType(SchedulerJson.ReadString(key, v), "SgmEulerEDM", PredictionType.Epsilon, PredictionType.VPrediction),
            },
            _ => config,
        });
        return config;
    }
}
