using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using FmriToImage.Evaluation;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// metrics.json and trials.jsonl: numbers as JSON numbers (null when not computed), keys that never depend on the trial
/// count or on what could be computed — the schema is docs/metrics.schema.json (format <see cref="Format"/>).
/// </summary>
internal static class MetricsDocument
{
    /// <summary>The value of metrics.json's "format".</summary>
    public const string Format = "fmri2img-metrics/3";

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>What the run was: written under "run" and shown in the report's settings table.</summary>
    /// <param name="Subject">subj01, …</param>
    /// <param name="Data">The --data path.</param>
    /// <param name="Bundle">The bundle folder.</param>
    /// <param name="BundleSha256">SHA-256 of its fmri_decoder.json.</param>
    /// <param name="EvaluationBundle">The evaluation bundle folder, or null.</param>
    /// <param name="EvaluationBundleSha256">SHA-256 of its evaluation.json, or null.</param>
    /// <param name="EvaluationWeights">Each evaluation network's weights.</param>
    /// <param name="Settings">The settings used (pipeline, steps, strength, guidance, samples, seed).</param>
    /// <param name="Device">The --device policy.</param>
    /// <param name="Providers">Component → where it ran.</param>
    /// <param name="Shard">"i/n", or null.</param>
    /// <param name="MeanImage">The mean training image file, or null.</param>
    internal sealed record RunInfo(string Subject, string Data, string Bundle, string BundleSha256, string? EvaluationBundle, string? EvaluationBundleSha256, IReadOnlyDictionary<string, string> EvaluationWeights, IReadOnlyDictionary<string, JsonNode?> Settings, string Device, IReadOnlyDictionary<string, string> Providers, string? Shard, string? MeanImage);

    /// <summary>The library's version (its informational version, e.g. 0.1.0+commit).</summary>
    public static string LibraryVersion =>
        typeof(BrainDecoder).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? typeof(BrainDecoder).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>The keys every metrics.json has under "metrics", in order, whatever was computed.</summary>
    public static IReadOnlyList<string> MetricKeys { get; } =
        ["pixcorr", "ssim", "ssim_2d", .. FeatureMetric.MindEye.Select(m => m.Key), "two_way_bundle_encoder"];

    /// <summary>Builds metrics.json; <paramref name="stages"/> is its "stage_timings" (<see cref="StageTimings"/>).</summary>
    public static JsonObject Build(RunInfo run, int trialCount, bool hasGroundTruth, double? votingScoreMean, EvaluationResult? evaluation, IReadOnlyList<string> notes, IReadOnlyList<StageTimings.Row> stages)
    {
        var metrics = new JsonObject();
        foreach (var key in MetricKeys)
        {
            var row = evaluation?.Rows.FirstOrDefault(r => r.Key == key);
            var entry = new JsonObject
            {
                ["name"] = row?.Name ?? FeatureMetric.MindEye.FirstOrDefault(m => m.Key == key)?.Name ?? key,
                ["higher_is_better"] = row?.HigherIsBetter ?? FeatureMetric.MindEye.FirstOrDefault(m => m.Key == key)?.IsCorrelationDistance != true,
            };
            foreach (var column in RunEvaluation.Columns)
            {
                entry[column] = Number(row?.Values[column]);
            }

            metrics[key] = entry;
        }

        return new JsonObject
        {
            ["format"] = Format,
            ["library_version"] = LibraryVersion,
            ["trials"] = trialCount,
            ["ground_truth"] = hasGroundTruth,
            ["columns"] = new JsonArray([.. RunEvaluation.Columns.Select(c => JsonValue.Create(c))]),
            ["metrics"] = metrics,
            ["retrieval_top1"] = Retrieval(evaluation?.Retrieval300, 300, 30),
            ["retrieval_top1_full"] = Retrieval(evaluation?.RetrievalFull, trialCount, 1),
            ["voting_score_mean"] = Number(votingScoreMean),
            ["stage_timings"] = new JsonArray([.. stages.Select(t => new JsonObject
            {
                ["stage"] = t.Stage,
                ["trials"] = t.Trials,
                ["median_ms"] = Number(t.MedianMs),
                ["p95_ms"] = Number(t.P95Ms),
            })]),
            ["run"] = Run(run),
            ["notes"] = new JsonArray([.. notes.Select(n => JsonValue.Create(n))]),
        };
    }

    /// <summary>One line of trials.jsonl: the trial, its chosen candidate and its final image's metrics.</summary>
    public static string TrialLine(ReportTrial trial, IReadOnlyDictionary<string, double?>? metrics)
    {
        var result = trial.Result;
        var chosen = result.Candidates[result.ChosenIndex];
        var line = new JsonObject
        {
            ["key"] = result.Key,
            ["label"] = result.Label,
            ["row"] = trial.Row,
            ["pipeline"] = result.Pipeline,
            ["chosen"] = new JsonObject
            {
                ["index"] = result.ChosenIndex,
                ["model"] = chosen.Model,
                ["sample"] = chosen.Sample,
                ["score"] = Number(chosen.Score),
                ["caption"] = chosen.Caption,
            },
            ["candidates"] = result.Candidates.Length,
            ["seconds"] = Number(result.Seconds),
            ["metrics"] = metrics is null ? null : new JsonObject([.. MetricKeys.Select(k => KeyValuePair.Create(k, Number(metrics.GetValueOrDefault(k))))]),
        };
        return line.ToJsonString(new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>Serialises metrics.json.</summary>
    public static string Serialize(JsonObject document) => document.ToJsonString(Options);

    /// <summary>A JSON number, or null for null or a non-finite value (JSON has no NaN).</summary>
    internal static JsonNode? Number(double? value) => value is { } v && double.IsFinite(v) ? JsonValue.Create(v) : null;

    /// <summary>Retrieval top-1 with its pool; image and brain null when not computed (the keys stay).</summary>
    private static JsonObject Retrieval(EvaluationResult.Retrieval? retrieval, int pool, int draws) => new()
    {
        ["pool"] = retrieval?.Pool ?? pool,
        ["draws"] = retrieval?.Draws ?? draws,
        ["image"] = Number(retrieval?.Image),
        ["brain"] = Number(retrieval?.Brain),
        ["chance"] = Number(retrieval?.Chance ?? (pool > 0 ? 1.0 / pool : null)),
    };

    private static JsonObject Run(RunInfo run) => new()
    {
        ["subject"] = run.Subject,
        ["data"] = run.Data,
        ["bundle"] = new JsonObject { ["path"] = run.Bundle, ["sha256"] = run.BundleSha256 },
        ["evaluation_bundle"] = run.EvaluationBundle is null ? null : new JsonObject
        {
            ["path"] = run.EvaluationBundle,
            ["sha256"] = run.EvaluationBundleSha256,
            ["weights"] = new JsonObject([.. run.EvaluationWeights.Select(w => KeyValuePair.Create(w.Key, (JsonNode?)JsonValue.Create(w.Value)))]),
        },
        ["settings"] = new JsonObject([.. run.Settings.Select(s => KeyValuePair.Create(s.Key, s.Value?.DeepClone()))]),
        ["device"] = run.Device,
        ["providers"] = new JsonObject([.. run.Providers.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonValue.Create(p.Value)))]),
        ["shard"] = run.Shard,
        ["mean_image"] = run.MeanImage,
    };
}
