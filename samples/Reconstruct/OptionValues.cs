using System.CommandLine.Parsing;
using System.Globalization;
using FmriToImage.Data;
using FmriToImage.Reconstructions;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// Parsers and messages that speak in the job's own options: "--seed must be a whole number from 0 to …, not '-3'"
/// instead of .NET's type names, pipeline names in any case with a "did you mean", and the library's request errors
/// ("ReconstructionRequest.Steps is 5000 … (Parameter 'request')") told as the option that set the value.
/// </summary>
internal static class OptionValues
{
    /// <summary>The pipelines the job runs, by their command-line names (the default first), each with the library's pipeline.</summary>
    public static readonly (string Name, ReconstructionPipeline Pipeline)[] PipelineNames =
    [
        ("caption-img2img", ReconstructionPipeline.CaptionImg2Img),
        ("unclip", ReconstructionPipeline.Unclip),
        ("clip-generator", ReconstructionPipeline.ClipGenerator),
        ("mindeye2", ReconstructionPipeline.MindEye2),
        ("visdec", ReconstructionPipeline.Conditioned),
    ];

    /// <summary>The command-line names of <see cref="PipelineNames"/>.</summary>
    public static readonly string[] Pipelines = [.. PipelineNames.Select(p => p.Name)];

    /// <summary>--nonfinite's values, the default first, each with the library's handling.</summary>
    public static readonly (string Name, NonFiniteHandling Handling)[] NonFiniteModes =
    [
        ("error", NonFiniteHandling.Reject),
        ("zero", NonFiniteHandling.ReplaceWithZero),
        ("skip-trial", NonFiniteHandling.SkipTrial),
    ];

    private static readonly (string Property, string Option)[] RequestOptions =
    [
        ("ReconstructionRequest.Steps", "--steps"),
        ("ReconstructionRequest.Strength", "--strength"),
        ("ReconstructionRequest.Guidance", "--guidance"),
        ("ReconstructionRequest.Samples", "--samples"),
        ("ReconstructionRequest.Seed", "--seed"),
        ("ReconstructionRequest.Pipeline", "--pipeline"),
    ];

    /// <summary>A whole-number option (int?) of at least 1: its own message for anything else.</summary>
    public static int? PositiveWholeNumber(ArgumentResult result) =>
        result.Tokens.Count == 0 ? null
        : int.TryParse(result.Tokens[0].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= 1 ? value
        : Error<int?>(result, $"must be a whole number of at least 1, not '{result.Tokens[0].Value}'", null);

    /// <summary>A parser for a number option (double?) within [<paramref name="minimum"/>, <paramref name="maximum"/>].</summary>
    public static Func<ArgumentResult, double?> Number(double minimum, double maximum, string range) => result =>
        result.Tokens.Count == 0 ? null
        : double.TryParse(result.Tokens[0].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= minimum && value <= maximum ? value
        : Error<double?>(result, $"must be a number {range}, not '{result.Tokens[0].Value}'", null);

    /// <summary>--seed: 0 to 2^64 − 1.</summary>
    public static ulong Seed(ArgumentResult result) =>
        result.Tokens.Count == 0 ? 0
        : ulong.TryParse(result.Tokens[0].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value
        : Error(result, $"must be a whole number from 0 to {ulong.MaxValue}, not '{result.Tokens[0].Value}'", 0UL);

    /// <summary>--pipeline: a known name in any case, else an error with the closest name.</summary>
    public static string Pipeline(ArgumentResult result) => OneOf(Pipelines, "a pipeline", "pipelines")(result);

    /// <summary>
    /// A parser for an option whose value is one of <paramref name="names"/> (the first is the default), in any case;
    /// anything else is an error that names the option and the closest name.
    /// </summary>
    public static Func<ArgumentResult, string> OneOf(string[] names, string what, string plural) => result =>
    {
        if (result.Tokens.Count == 0)
        {
            return names[0];
        }

        var given = result.Tokens[0].Value;
        var known = names.FirstOrDefault(p => string.Equals(p, given, StringComparison.OrdinalIgnoreCase));
        if (known is not null)
        {
            return known;
        }

        var closest = names.MinBy(p => Distance(p, given.ToLowerInvariant()))!;
        var all = names.Length == 2 ? string.Join(" and ", names) : string.Join(", ", names[..^1]) + " and " + names[^1];
        return Error(result, $"'{given}' is not {what}; did you mean '{closest}'? The {plural} are {all}", names[0]);
    };

    /// <summary>--pipeline: the library's pipeline for a command-line name (one of <see cref="PipelineNames"/>, as <see cref="Pipeline"/> returns it).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="name"/> is not in <see cref="PipelineNames"/>: never a silent fallback to another pipeline.</exception>
    public static ReconstructionPipeline PipelineFor(string name)
    {
        foreach (var (known, pipeline) in PipelineNames)
        {
            if (known == name)
            {
                return pipeline;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(name), name, $"--pipeline '{name}' has no library pipeline; the job maps {string.Join(", ", Pipelines)}.");
    }

    /// <summary>--nonfinite: the library's handling for a mode name (one of <see cref="NonFiniteModes"/>).</summary>
    public static NonFiniteHandling NonFinite(string mode) => NonFiniteModes.Single(m => m.Name == mode).Handling;

    /// <summary>A library request error told as the option that set the value, without .NET's "(Parameter …)" suffix.</summary>
    public static string RequestMessage(ArgumentException e)
    {
        var message = string.Join(" ", e.Message.Split('\n').Select(l => l.Trim()).Where(l => !l.StartsWith("Actual value was", StringComparison.Ordinal)));
        message = e.ParamName is { } name ? message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : message;
        foreach (var (property, option) in RequestOptions)
        {
            message = message.Replace(property, option, StringComparison.Ordinal);
        }

        return message;
    }

    /// <summary>Levenshtein distance (edits between two short names).</summary>
    internal static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }

    private static T Error<T>(ArgumentResult result, string problem, T fallback)
    {
        var option = (result.Parent as OptionResult)?.Option.Name ?? "the value";
        result.AddError($"{option} {problem}.");
        return fallback;
    }
}
