using System.Globalization;
using System.Text.Json;
using FmriToImage.Configuration;

namespace FmriToImage.Diffusion;

/// <summary>
/// Reading a diffusers <c>scheduler_config.json</c> the way <c>from_config</c> does: the top level must be an object,
/// a known key must have its JSON type (else <see cref="SchedulerConfigException"/> naming key, expected and actual),
/// unknown keys are ignored.
/// </summary>
internal static class SchedulerJson
{
    /// <summary>A scheduler config's text, read by <see cref="ConfigJson"/>: its errors are <see cref="SchedulerConfigException"/>s.</summary>
    private static readonly ConfigSource Source = new("scheduler config", e => new SchedulerConfigException($"scheduler config: {e.Sentence}", e.Inner));

    /// <summary>Parses a scheduler config's text into its top-level object.</summary>
    /// <exception cref="SchedulerConfigException">The text is not valid JSON or not an object.</exception>
    public static ConfigObject Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return ConfigJson.ParseObject(json, Source);
    }

    /// <summary>A parsed scheduler config's top-level value, refused unless it is an object.</summary>
    public static ConfigObject Root(JsonElement root) => ConfigJson.Root(root, Source);

    /// <summary>Calls <paramref name="read"/> for every top-level property, in file order.</summary>
    public static void ForEachProperty(string json, Action<string, JsonElement> read)
    {
        foreach (JsonProperty property in Parse(json).Properties)
        {
            read(property.Name, property.Value);
        }
    }

    /// <summary>An integer; Python writes 1000.0 for a float that holds an integer, so an integral number is accepted.</summary>
    public static int ReadInt(string key, JsonElement v) => ConfigJson.Int(v, key, Source, integralFloat: true);

    public static double ReadDouble(string key, JsonElement v) => ConfigJson.Number(v, key, Source);

    /// <summary>A number, or null for Python's None.</summary>
    public static double? ReadOptionalDouble(string key, JsonElement v) =>
        v.ValueKind == JsonValueKind.Null ? null : ReadDouble(key, v);

    public static bool ReadBool(string key, JsonElement v) => ConfigJson.Bool(v, key, Source);

    public static string ReadString(string key, JsonElement v) => ConfigJson.String(v, key, Source);

    /// <summary>An array of numbers, or null for Python's None.</summary>
    public static double[]? ReadDoubleArray(string key, JsonElement v) =>
        v.ValueKind == JsonValueKind.Null ? null : ConfigJson.Numbers(v, key, Source);

    /// <summary>The error for a scheduler config that is readable but refused (the message names the key, expected and actual).</summary>
    public static Exception Fail(string message) => Source.Fail(message);

    /// <summary>Refuses a key whose value this library does not implement (the value differs from the only supported one).</summary>
    public static void RequireValue<T>(string key, T actual, T supported, string scheduler)
    {
        if (!EqualityComparer<T>.Default.Equals(actual, supported))
        {
            throw new NotSupportedException(string.Create(CultureInfo.InvariantCulture,
                $"{key} = {Format(actual)} is not supported by the {scheduler} scheduler; only {Format(supported)} is."));
        }

        static string Format(T value) => value is string s ? $"\"{s}\"" : value is bool b ? (b ? "true" : "false") : $"{value}";
    }

    /// <summary>A diffusers <c>beta_schedule</c> string.</summary>
    public static BetaSchedule ParseBetaSchedule(string value, string scheduler) => value switch
    {
        "linear" => BetaSchedule.Linear,
        "scaled_linear" => BetaSchedule.ScaledLinear,
        "squaredcos_cap_v2" => BetaSchedule.SquaredCosCapV2,
        _ => throw new NotSupportedException(
            $"beta_schedule \"{value}\" is not supported by the {scheduler} scheduler; expected \"linear\", \"scaled_linear\" or \"squaredcos_cap_v2\"."),
    };

    /// <summary>A diffusers <c>prediction_type</c> string, of those <paramref name="supported"/> lists.</summary>
    public static PredictionType ParsePredictionType(string value, string scheduler, params PredictionType[] supported)
    {
        PredictionType? parsed = value switch
        {
            "epsilon" => PredictionType.Epsilon,
            "v_prediction" => PredictionType.VPrediction,
            "sample" => PredictionType.Sample,
            _ => null,
        };
        if (parsed is { } p && Array.IndexOf(supported, p) >= 0)
        {
            return p;
        }

        string expected = string.Join(", ", supported.Select(t => t switch
        {
            PredictionType.Epsilon => "\"epsilon\"",
            PredictionType.VPrediction => "\"v_prediction\"",
            _ => "\"sample\"",
        }));
        throw new NotSupportedException($"prediction_type \"{value}\" is not supported by the {scheduler} scheduler; expected one of {expected}.");
    }

    /// <summary>A diffusers <c>timestep_spacing</c> string.</summary>
    public static TimestepSpacing ParseTimestepSpacing(string value, string scheduler) => value switch
    {
        "leading" => TimestepSpacing.Leading,
        "trailing" => TimestepSpacing.Trailing,
        "linspace" => TimestepSpacing.Linspace,
        _ => throw new NotSupportedException(
            $"timestep_spacing \"{value}\" is not supported by the {scheduler} scheduler; expected \"leading\", \"trailing\" or \"linspace\"."),
    };

    /// <summary>A diffusers <c>final_sigmas_type</c> string.</summary>
    public static FinalSigmaType ParseFinalSigmas(string value, string scheduler) => value switch
    {
        "zero" => FinalSigmaType.Zero,
        "sigma_min" => FinalSigmaType.SigmaMin,
        _ => throw new NotSupportedException(
            $"final_sigmas_type \"{value}\" is not supported by the {scheduler} scheduler; expected \"zero\" or \"sigma_min\"."),
    };
}
