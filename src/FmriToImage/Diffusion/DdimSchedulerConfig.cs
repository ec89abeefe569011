using System.Globalization;
using System.Text.Json;
using FmriToImage.Configuration;

namespace FmriToImage.Diffusion;

/// <summary>
/// The configuration of a <see cref="DdimScheduler"/>: diffusers' <c>DDIMScheduler</c> constructor arguments, one
/// property per argument, with diffusers' defaults. Immutable; build one with an object initializer or read one with
/// <see cref="FromJson(string)"/>.
/// </summary>
/// <remarks>
/// Every option is honoured by <see cref="DdimScheduler"/>; a value it cannot honour (an enum value outside the
/// defined members) makes the scheduler's constructor throw <see cref="NotSupportedException"/> naming the option.
/// </remarks>
internal sealed record DdimSchedulerConfig
{
    /// <summary>
    /// The largest <see cref="NumTrainTimesteps"/> this library accepts: 100 000, a hundred times the 1000 of Stable
    /// Diffusion, DDPM and unCLIP (MindEye's prior trains with 100). The schedules take 16 bytes per training step, so
    /// a config cannot make the scheduler allocate more than 1.6 MB.
    /// </summary>
    public const int MaxTrainTimesteps = 100_000;

    /// <summary>
    /// T, the number of diffusion steps the model was trained with (<c>num_train_timesteps</c>, default 1000; at most
    /// <see cref="MaxTrainTimesteps"/>).
    /// </summary>
    public int NumTrainTimesteps { get; init; } = 1000;

    /// <summary>β of the first training timestep (<c>beta_start</c>, default 0.0001).</summary>
    public double BetaStart { get; init; } = 0.0001;

    /// <summary>β of the last training timestep (<c>beta_end</c>, default 0.02).</summary>
    public double BetaEnd { get; init; } = 0.02;

    /// <summary>How β runs from <see cref="BetaStart"/> to <see cref="BetaEnd"/> (<c>beta_schedule</c>, default linear).</summary>
    internal BetaSchedule BetaSchedule { get; init; } = BetaSchedule.Linear;

    /// <summary>
    /// Explicit β values, one per training timestep (<c>trained_betas</c>, default null). When set they replace the
    /// schedule computed from <see cref="BetaStart"/>, <see cref="BetaEnd"/> and <see cref="BetaSchedule"/>; the count
    /// must equal <see cref="NumTrainTimesteps"/>. Record equality compares this list by reference.
    /// </summary>
    public IReadOnlyList<double>? TrainedBetas { get; init; }

    /// <summary>Clamp the predicted x₀ to ±<see cref="ClipSampleRange"/> (<c>clip_sample</c>, default true).</summary>
    public bool ClipSample { get; init; } = true;

    /// <summary>The bound used by <see cref="ClipSample"/> (<c>clip_sample_range</c>, default 1.0).</summary>
    public double ClipSampleRange { get; init; } = 1.0;

    /// <summary>
    /// On the last step (previous timestep below 0) use ᾱ = 1 (true) or ᾱ₀ (false) as the "previous" ᾱ
    /// (<c>set_alpha_to_one</c>, default true; SD 1.5 ships false).
    /// </summary>
    public bool SetAlphaToOne { get; init; } = true;

    /// <summary>Added to every inference timestep in <see cref="TimestepSpacing.Leading"/> spacing (<c>steps_offset</c>, default 0; SD 1.5 ships 1).</summary>
    public int StepsOffset { get; init; }

    /// <summary>What the model predicts (<c>prediction_type</c>, default epsilon).</summary>
    public PredictionType PredictionType { get; init; } = PredictionType.Epsilon;

    /// <summary>
    /// Dynamic thresholding of the predicted x₀ (Imagen; <c>thresholding</c>, default false): per sample,
    /// s = clamp(quantile(|x₀|, <see cref="DynamicThresholdingRatio"/>), 1, <see cref="SampleMaxValue"/>), then
    /// x₀ ← clamp(x₀, −s, s)/s. Takes precedence over <see cref="ClipSample"/>. Not meant for latent models.
    /// </summary>
    public bool Thresholding { get; init; }

    /// <summary>The quantile used by <see cref="Thresholding"/>, in [0, 1] (<c>dynamic_thresholding_ratio</c>, default 0.995).</summary>
    public double DynamicThresholdingRatio { get; init; } = 0.995;

    /// <summary>The upper bound of the threshold s (<c>sample_max_value</c>, default 1.0).</summary>
    public double SampleMaxValue { get; init; } = 1.0;

    /// <summary>How inference timesteps are chosen (<c>timestep_spacing</c>, default leading).</summary>
    internal TimestepSpacing TimestepSpacing { get; init; } = TimestepSpacing.Leading;

    /// <summary>
    /// Rescale the betas so that the last timestep has zero signal-to-noise ratio (arXiv:2305.08891, Algorithm 1;
    /// <c>rescale_betas_zero_snr</c>, default false). Then ᾱ at T−1 is exactly 0, which only v-prediction models can
    /// denoise from; with epsilon prediction the first step divides by √ᾱ = 0, exactly as in diffusers.
    /// </summary>
    public bool RescaleBetasZeroSnr { get; init; }

    /// <summary>
    /// Reads a diffusers <c>scheduler_config.json</c>, as <c>DDIMScheduler.from_config</c> does: the keys that name a
    /// DDIM option are read, every other key (<c>_class_name</c>, <c>_diffusers_version</c>, another scheduler's
    /// options such as PNDM's <c>skip_prk_steps</c>) is ignored, and a missing key keeps its default. So the PNDM
    /// config that Stable Diffusion 1.5 ships gives that model's DDIM schedule.
    /// </summary>
    /// <param name="json">The JSON text of the file.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is null.</exception>
    /// <exception cref="SchedulerConfigException">
    /// The text is not JSON, not an object, or a known key has a value of the wrong type (the message names the key,
    /// the expected and the actual value).
    /// </exception>
    /// <exception cref="NotSupportedException">
    /// <c>beta_schedule</c>, <c>prediction_type</c> or <c>timestep_spacing</c> names a value this scheduler does not
    /// implement (for example DDPM's <c>"sigmoid"</c> schedule); the message names the option and the value.
    /// </exception>
    public static DdimSchedulerConfig FromJson(string json) => Read(SchedulerJson.Parse(json));

    /// <summary>Reads a parsed diffusers <c>scheduler_config.json</c>, as <see cref="FromJson(string)"/> does.</summary>
    /// <param name="root">The file's top-level value.</param>
    /// <returns>The configuration.</returns>
    /// <exception cref="SchedulerConfigException">Not an object, a known key of the wrong type, or <c>num_train_timesteps</c> above <see cref="MaxTrainTimesteps"/>.</exception>
    /// <exception cref="NotSupportedException">A schedule, prediction type or spacing DDIM does not implement.</exception>
    public static DdimSchedulerConfig FromJson(JsonElement root) => Read(SchedulerJson.Root(root));

    private static DdimSchedulerConfig Read(ConfigObject root)
    {
        var config = new DdimSchedulerConfig();
        foreach (JsonProperty property in root.Properties)
        {
            JsonElement v = property.Value;
            config = property.Name switch
            {
                "num_train_timesteps" => config with { NumTrainTimesteps = ReadTrainTimesteps(property.Name, v) },
                "beta_start" => config with { BetaStart = ReadDouble(property.Name, v) },
                "beta_end" => config with { BetaEnd = ReadDouble(property.Name, v) },
                "beta_schedule" => config with { BetaSchedule = ParseBetaSchedule(ReadString(property.Name, v)) },
                "trained_betas" => config with { TrainedBetas = ReadDoubleArray(property.Name, v) },
                "clip_sample" => config with { ClipSample = ReadBool(property.Name, v) },
                "clip_sample_range" => config with { ClipSampleRange = ReadDouble(property.Name, v) },
                "set_alpha_to_one" => config with { SetAlphaToOne = ReadBool(property.Name, v) },
                "steps_offset" => config with { StepsOffset = ReadInt(property.Name, v) },
                "prediction_type" => config with { PredictionType = ParsePredictionType(ReadString(property.Name, v)) },
                "thresholding" => config with { Thresholding = ReadBool(property.Name, v) },
                "dynamic_thresholding_ratio" => config with { DynamicThresholdingRatio = ReadDouble(property.Name, v) },
                "sample_max_value" => config with { SampleMaxValue = ReadDouble(property.Name, v) },
                "timestep_spacing" => config with { TimestepSpacing = ParseTimestepSpacing(ReadString(property.Name, v)) },
                "rescale_betas_zero_snr" => config with { RescaleBetasZeroSnr = ReadBool(property.Name, v) },
                _ => config, // from_config ignores keys that are not constructor arguments
            };
        }

        return config;
    }

    /// <summary>Maps a diffusers <c>beta_schedule</c> string to <see cref="Diffusion.BetaSchedule"/>.</summary>
    /// <param name="value">The string, e.g. <c>"scaled_linear"</c>.</param>
    /// <returns>The schedule.</returns>
    /// <exception cref="NotSupportedException">The value is not one DDIM implements; the message names it.</exception>
    internal static BetaSchedule ParseBetaSchedule(string value) => SchedulerJson.ParseBetaSchedule(value, "DDIM");

    /// <summary>Maps a diffusers <c>prediction_type</c> string to <see cref="Diffusion.PredictionType"/>.</summary>
    /// <param name="value">The string, e.g. <c>"v_prediction"</c>.</param>
    /// <returns>The prediction type.</returns>
    /// <exception cref="NotSupportedException">The value is not one DDIM implements; the message names it.</exception>
    public static PredictionType ParsePredictionType(string value) => value switch
    {
        "epsilon" => PredictionType.Epsilon,
        "v_prediction" => PredictionType.VPrediction,
        "sample" => PredictionType.Sample,
        _ => throw new NotSupportedException(
            $"prediction_type \"{value}\" is not supported by the DDIM scheduler; expected \"epsilon\", \"v_prediction\" or \"sample\"."),
    };

    /// <summary>Maps a diffusers <c>timestep_spacing</c> string to <see cref="Diffusion.TimestepSpacing"/>.</summary>
    /// <param name="value">The string, e.g. <c>"trailing"</c>.</param>
    /// <returns>The spacing.</returns>
    /// <exception cref="NotSupportedException">The value is not one DDIM implements; the message names it.</exception>
    internal static TimestepSpacing ParseTimestepSpacing(string value) => SchedulerJson.ParseTimestepSpacing(value, "DDIM");

    private static int ReadInt(string key, JsonElement v) => SchedulerJson.ReadInt(key, v);

    private static double ReadDouble(string key, JsonElement v) => SchedulerJson.ReadDouble(key, v);

    private static bool ReadBool(string key, JsonElement v) => SchedulerJson.ReadBool(key, v);

    private static string ReadString(string key, JsonElement v) => SchedulerJson.ReadString(key, v);

    private static double[]? ReadDoubleArray(string key, JsonElement v) => SchedulerJson.ReadDoubleArray(key, v);

    private static int ReadTrainTimesteps(string key, JsonElement v)
    {
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) && d > MaxTrainTimesteps)
        {
            throw SchedulerJson.Fail(string.Create(CultureInfo.InvariantCulture,
                $"{key} is {v.GetRawText()}; this library accepts at most {MaxTrainTimesteps} training timesteps (Stable Diffusion trains with 1000)"));
        }

        return ReadInt(key, v);
    }
}
