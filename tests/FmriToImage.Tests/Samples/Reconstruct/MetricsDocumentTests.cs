using System.Text.Json;
using System.Text.Json.Nodes;
using FmriToImage.Evaluation;
using FmriToImage.Imaging;
using FmriToImage.Samples.Reconstruct;
using Json.Schema;

namespace FmriToImage.Tests.Samples.Reconstruct;

/// <summary>metrics.json against docs/metrics.schema.json, and its keys whatever the trial count.</summary>
public sealed class MetricsDocumentTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromText(File.ReadAllText(TestFiles.RepoPath("docs", "metrics.schema.json")));

    /// <summary>A run's description (also used by <see cref="StageTimingsTests"/>).</summary>
    internal static readonly MetricsDocument.RunInfo Run = new(
        "subj01",
        "samples/data/nsd-mini",
        "models/demo",
        "sha256:" + new string('a', 64),
        null,
        null,
        new Dictionary<string, string>(),
        new Dictionary<string, JsonNode?> { ["pipeline"] = "CaptionImg2Img", ["steps"] = 20, ["strength"] = 0.75, ["guidance"] = 6.0, ["samples"] = 1, ["seed"] = 0UL, ["nonfinite"] = "skip-trial", ["skipped_rows"] = new JsonArray(2, 7) },
        "cpu",
        new Dictionary<string, string> { ["unet"] = "CPUExecutionProvider" },
        null,
        null);

    [Theory]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(8, true)]
    [InlineData(300, true)]
    [InlineData(3, false)]
    public void Metrics_json_is_valid_and_its_keys_do_not_change_with_the_trial_count(int trials, bool hasGroundTruth)
    {
        var document = Build(trials, hasGroundTruth);
        var result = Schema.Evaluate(JsonDocument.Parse(MetricsDocument.Serialize(document)).RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, string.Join("; ", result.Details?.Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")) ?? []));
        Assert.Equal(Keys(Build(8, true)), Keys(document));
        Assert.All(document["metrics"]!.AsObject(), m => Assert.Equal(RunEvaluation.Columns, m.Value!.AsObject().Select(p => p.Key).Skip(2)));
    }

    [Fact]
    public void Numbers_are_json_numbers_and_non_finite_values_are_null()
    {
        var document = Build(8, true);
        Assert.Equal(JsonValueKind.Number, document["metrics"]!["pixcorr"]!["final"]!.GetValueKind());
        Assert.Null(MetricsDocument.Number(double.NaN));
        Assert.Null(MetricsDocument.Number(double.PositiveInfinity));
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(MetricsDocument.Serialize(document)).RootElement.GetProperty("metrics").GetProperty("alexnet2").GetProperty("final").ValueKind);
    }

    [Fact]
    public void A_trials_jsonl_line_has_every_metric_key()
    {
        var trial = new ReportTrial(
            new TrialResult("nsd-00013", "nsdId 13", "CaptionImg2Img", 0, [new TrialResult.Candidate("m", 0, 0.5f, "a red square")], [], 1.5, null, null),
            null, null, new RgbImage(4, 4), [], null, null, 0);
        var line = JsonNode.Parse(MetricsDocument.TrialLine(trial, new Dictionary<string, double?> { ["pixcorr"] = 0.5 }))!;
        Assert.Equal(MetricsDocument.MetricKeys, line["metrics"]!.AsObject().Select(p => p.Key));
        Assert.Equal(0.5, line["metrics"]!["pixcorr"]!.GetValue<double>());
        Assert.Equal("a red square", line["chosen"]!["caption"]!.GetValue<string>());
    }

    /// <summary>A document for <paramref name="trials"/> trials: the pixel metrics of real (fixture) images, no networks.</summary>
    private static JsonObject Build(int trials, bool hasGroundTruth)
    {
        EvaluationResult? evaluation = null;
        if (hasGroundTruth)
        {
            var images = Enumerable.Range(0, trials).Select(i => RgbImage.LoadPng(TestFiles.Fixture("evaluation", "table", $"gt_{i % 8}.png"))).ToArray();
            var evaluator = new ReconstructionEvaluator(null);
            var prepared = evaluator.Prepare(images);
            var table = evaluator.Score(prepared, prepared);
            var rows = table.Metrics.Select(m => new EvaluationResult.Row(m.Key, m.Name, m.HigherIsBetter, RunEvaluation.Columns.ToDictionary(c => c, c => c == "low_level" ? null : (double?)m.Value))).ToArray();
            var retrieval = trials >= 300 ? new EvaluationResult.Retrieval(300, 30, 0.9, 0.8, 1 / 300.0) : null;
            evaluation = new EvaluationResult(rows, [.. Enumerable.Range(0, trials).Select(_ => new Dictionary<string, double?>())], retrieval, new EvaluationResult.Retrieval(trials, 1, 0.5, 0.5, 1.0 / trials));
        }

        var stages = Enumerable.Range(0, trials).Select(i => new TrialResult($"row-{i}", $"row {i}", "MindEye2", 0, [new TrialResult.Candidate("m", 0, 0.5f, null)], [], 1.0, null, null,
            [new TrialResult.Stage("unclip diffusion", 100.0 + i), new TrialResult.Stage("captioning (unCLIP image)", 10.0)]));
        return MetricsDocument.Build(Run, trials, hasGroundTruth, 0.9, evaluation, ["a note"], StageTimings.Summarise(stages));
    }

    private static string[] Keys(JsonNode? node, string prefix = "") => node is JsonObject obj
        ? [.. obj.SelectMany(p => (string[])[prefix + p.Key, .. Keys(p.Value, prefix + p.Key + ".")])]
        : [];
}
