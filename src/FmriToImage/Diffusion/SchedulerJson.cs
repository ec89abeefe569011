using System.Globalization;
using System.Text.Json;

namespace FmriToImage.Diffusion;

/// <summary>
/// Reading a diffusers <c>scheduler_config.json</c> the way <c>from_config</c> does: the top level must be an object,
/// a known key must have its JSON type (else <see cref="SchedulerConfigException"/> naming key, expected and actual),
/// unknown keys are ignored.
/// </summary>
internal static class SchedulerJson
{
    /// <summary>Parses a scheduler config's text; the caller disposes the document.</summary>
    /// <exception cref="SchedulerConfigException">The text is not valid JSON.</exception>
    public static JsonDocument Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new SchedulerConfigException($"scheduler config: not valid JSON ({e.Message}).", e);
        }
    }

    /// <summary>Calls <paramref name="read"/> for every top-level property, in file order.</summary>
    public static void ForEachProperty(string json, Action<string, JsonElement> read)
    {
        using (JsonDocument document = Parse(json))
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new SchedulerConfigException(
                    $"scheduler config: expected a JSON object at the top level, found {root.ValueKind}.");
            }

            foreach (JsonProperty property in root.EnumerateObject())
            {
                read(property.Name, property.Value);
            }
        }
    }

    public static int ReadInt(string key, JsonElement v)
    {
        if (v.ValueKind == JsonValueKind.Number)
        {
            if (v.TryGetInt32(out int i))
            {
                return i;
            }

            // Python writes 1000.0 for a float that holds an integer; accept it when it is integral.
            if (v.TryGetDouble(out double d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue)
            {
                return (int)d;
            }
        }

        throw WrongType(key, "an integer", v);
    }

    public static double ReadDouble(string key, JsonElement v) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out double d) ? d : throw WrongType(key, "a number", v);

    /// <summary>A number, or null for Python's None.</summary>
    public static double? ReadOptionalDouble(string key, JsonElement v) =>
        v.ValueKind == JsonValueKind.Null ? null : ReadDouble(key, v);

    public static bool ReadBool(string key, JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw WrongType(key, "true or false", v),
    };

    public static string ReadString(string key, JsonElement v) =>
        v.ValueKind == JsonValueKind.String ? v.GetString()! : throw WrongType(key, "a string", v);

    public static double[]? ReadDoubleArray(string key, JsonElement v)
    {
        if (v.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (v.ValueKind != JsonValueKind.Array)
        {
            throw WrongType(key, "null or an array of numbers", v);
        }

        var values = new double[v.GetArrayLength()];
        int i = 0;
        foreach (JsonElement item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Number || !item.TryGetDouble(out values[i]))
            {
                throw new SchedulerConfigException(string.Create(CultureInfo.InvariantCulture,
                    $"scheduler config: \"{key}\"[{i}] must be a number, found {Describe(item)}."));
            }

            i++;
        }

        return values;
    }

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

    private static string Describe(JsonElement v) => v.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{v.GetString()}\"",
        JsonValueKind.Number => $"the number {v.GetRawText()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {v.GetRawText()}",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        _ => "an object",
    };

    private static SchedulerConfigException WrongType(string key, string expected, JsonElement v) =>
        new($"scheduler config: \"{key}\" must be {expected}, found {Describe(v)}.");
}
