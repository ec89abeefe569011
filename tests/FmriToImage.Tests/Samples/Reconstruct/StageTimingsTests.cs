using FmriToImage.Imaging;
using FmriToImage.Samples.Reconstruct;

namespace FmriToImage.Tests.Samples.Reconstruct;

/// <summary>Per-stage timings (median, p95) in metrics.json and the report's <c>table#stage-timings</c>.</summary>
public sealed class StageTimingsTests
{
    /// <summary>MindEye2's stages (docs/pipelines.md), as its Reconstruction.Timings names them.</summary>
    private static readonly string[] MindEye2Stages = ["voxel encoders", "unclip diffusion", "captioning (unCLIP image)", "refine diffusion", "blend"];

    [Fact]
    public void Median_and_p95_interpolate_between_order_statistics_like_numpy()
    {
        // numpy.percentile(range(1, 21), [50, 95]) = [10.5, 19.05]: position (n − 1)·q = 9.5 and 18.05.
        double[] values = [.. Enumerable.Range(1, 20).Select(i => (double)i)];
        Assert.Equal(10.5, StageTimings.Percentile(values, 0.5), 12);
        Assert.Equal(19.05, StageTimings.Percentile(values, 0.95), 12);
        Assert.Equal(7, StageTimings.Percentile([7.0], 0.95));
    }

    [Fact]
    public void Stages_keep_the_pipelines_names_in_first_seen_order_and_old_records_are_left_out()
    {
        TrialResult[] trials =
        [
            Trial(0, [("voxel encoders", 4), ("unclip diffusion", 100), ("blend", 1)]),
            Trial(1, [("voxel encoders", 2), ("unclip diffusion", 300), ("captioning (unCLIP image)", 50), ("blend", 3)]),
            Trial(2, null),
            Trial(3, [("voxel encoders", 6), ("unclip diffusion", 200), ("blend", 2)]),
        ];
        var rows = StageTimings.Summarise(trials);
        Assert.Equal(["voxel encoders", "unclip diffusion", "blend", "captioning (unCLIP image)"], rows.Select(r => r.Stage));
        var unclip = rows[1];
        Assert.Equal((3, 200.0, 290.0), (unclip.Trials, unclip.MedianMs, unclip.P95Ms)); // sorted 100, 200, 300: position 1.9 → 290
        Assert.Equal((1, 50.0, 50.0), (rows[3].Trials, rows[3].MedianMs, rows[3].P95Ms));
    }

    [Fact]
    public void Metrics_json_and_the_report_show_every_stage()
    {
        TrialResult[] trials = [.. Enumerable.Range(0, 5).Select(i => Trial(i, [.. MindEye2Stages.Select((s, j) => (s, 10.0 * (j + 1) * (i + 1)))]))];
        var document = MetricsDocument.Build(MetricsDocumentTests.Run, trials.Length, false, 0.5, null, [], StageTimings.Summarise(trials));
        var stages = document["stage_timings"]!.AsArray();
        Assert.Equal(MindEye2Stages, stages.Select(s => s!["stage"]!.GetValue<string>()));
        Assert.Equal(60.0, stages[1]!["median_ms"]!.GetValue<double>()); // 20, 40, 60, 80, 100
        Assert.Equal(96.0, stages[1]!["p95_ms"]!.GetValue<double>(), 9); // position 4 · 0.95 = 3.8: 80 + 0.8 · 20

        var folder = Directory.CreateTempSubdirectory("fmri2img-stage-timings-");
        try
        {
            var path = Path.Combine(folder.FullName, "report.html");
            ReportWriter.Write(path, "t", "s", false, document, null, [], [.. trials.Select(t => new ReportTrial(t, null, null, new RgbImage(2, 2), [new RgbImage(2, 2)], null, null, 0))]);
            var html = File.ReadAllText(path);
            var table = html[html.IndexOf("<table id=\"stage-timings\">", StringComparison.Ordinal)..];
            table = table[..table.IndexOf("</table>", StringComparison.Ordinal)];
            Assert.Contains("<tr><td>unclip diffusion</td><td>5</td><td>60.0</td><td>96.0</td></tr>", table, StringComparison.Ordinal);
            Assert.Equal(MindEye2Stages, MindEye2Stages.OrderBy(s => table.IndexOf($"<td>{System.Net.WebUtility.HtmlEncode(s)}</td>", StringComparison.Ordinal)));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Without_stages_the_report_has_no_stage_table_and_metrics_json_an_empty_list()
    {
        var document = MetricsDocument.Build(MetricsDocumentTests.Run, 0, false, null, null, [], StageTimings.Summarise([]));
        Assert.Empty(document["stage_timings"]!.AsArray());
        var folder = Directory.CreateTempSubdirectory("fmri2img-stage-timings-");
        try
        {
            var path = Path.Combine(folder.FullName, "report.html");
            ReportWriter.Write(path, "t", "s", false, document, null, [], []);
            Assert.DoesNotContain("stage-timings", File.ReadAllText(path), StringComparison.Ordinal);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static TrialResult Trial(int i, (string Name, double Ms)[]? stages) =>
        new($"row-{i}", $"row {i}", "MindEye2", 0, [new TrialResult.Candidate("m", 0, 0.5f, null)], [], 1.0, null, null, stages?.Select(s => new TrialResult.Stage(s.Name, s.Ms)).ToArray());
}
