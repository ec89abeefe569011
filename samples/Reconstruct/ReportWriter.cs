using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using FmriToImage.Evaluation;
using FmriToImage.Imaging;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// Writes report.html: one self-contained page (images inline as PNG data URIs, the plot as inline SVG, no script, no
/// external reference) a researcher can open anywhere. Ids the CI browser check (.ci/report-check) relies on:
/// <c>table#metrics</c> (its second column the final images' values), <c>svg#plot</c>, <c>section.trial</c>, and
/// <c>p#no-ground-truth</c> when there is none. Also <c>table#published</c>, <c>table#stage-timings</c> (when a trial recorded stages), <c>table#settings</c>, <c>div#grid</c>, and
/// with --explain <c>section#importance</c> (<c>img#importance-slices</c>, <c>table#importance-rois</c>).
/// </summary>
internal static class ReportWriter
{
    private const string Style =
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}table{border-collapse:collapse}"
        + "td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}.note{background:#fff6dd;padding:8px 12px;border-left:4px solid #e0a800}"
        + "img{image-rendering:pixelated;border:1px solid #ccc}.main img{width:128px;height:128px}.candidates img{width:72px;height:72px}"
        + ".trial{border-top:1px solid #eee;padding:10px 0}.row{display:flex;gap:12px;align-items:flex-start;flex-wrap:wrap}"
        + ".thumb{width:64px;height:64px}.cell{border:1px solid #eee;padding:4px}#grid .cap{max-width:200px}"
        + ".cap{font-size:12px;max-width:170px}figure{margin:0}.chosen img{outline:3px solid #2a9d4b}h3{font-size:15px;margin:4px 0}";

    /// <summary>How many trials the grid (grid.png and the report's labelled grid) shows.</summary>
    public const int GridTrials = 24;

    /// <summary>
    /// Published subject-averaged numbers on real NSD (MindEye's metric table), from the papers' tables and MindEye's
    /// notebook output; null where the source we checked does not give the number. Not comparable to the demo.
    /// </summary>
    private static readonly (string Method, double?[] Values)[] Published =
    [
        ("MindEye (4 subjects, paper)", [0.309, 0.323, 0.947, 0.978, null, null, null, null]),
        ("MindEye (subj01, img2img 0.85, 16 samples; notebook)", [0.3925, 0.3467, 0.9738, 0.9865, 0.9453, 0.9434, 0.6345, 0.3578]),
        ("MindEye2, 40 h (4 subjects)", [0.322, 0.431, null, null, 0.954, 0.930, null, null]),
        ("MindEye2, 1 h (4 subjects)", [0.195, 0.419, 0.842, 0.906, 0.812, 0.792, null, null]),
        ("Brain-Diffuser (4 subjects)", [0.254, 0.356, 0.942, 0.962, null, null, null, null]),
    ];

    private static readonly string[] PublishedKeys = ["pixcorr", "ssim", "alexnet2", "alexnet5", "inceptionv3", "clip", "effnet_b", "swav"];

    /// <summary>Writes the report.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="title">The page title.</param>
    /// <param name="source">What the trials are.</param>
    /// <param name="hasGroundTruth">Whether the trials come with the images seen.</param>
    /// <param name="document">metrics.json as written (its "run" is the settings table).</param>
    /// <param name="evaluation">The metric table, or null without ground truth.</param>
    /// <param name="notes">What could not be computed.</param>
    /// <param name="trials">The trials in order.</param>
    /// <param name="importance">The --explain map (<c>section#importance</c>), or null.</param>
    public static void Write(string path, string title, string source, bool hasGroundTruth, JsonObject document, EvaluationResult? evaluation, IReadOnlyList<string> notes, IReadOnlyList<ReportTrial> trials,
        ImportanceReport.Summary? importance = null)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(Encode(title))
            .Append("</title><style>").Append(Style).Append("</style></head><body>")
            .Append("<h1>").Append(Encode(title)).Append("</h1><p>").Append(Encode(source)).Append("</p>");
        if (!hasGroundTruth)
        {
            html.Append("<p id=\"no-ground-truth\" class=\"note\">").Append(Encode(TrialSet.NoGroundTruth)).Append("</p>");
        }

        foreach (var note in notes)
        {
            html.Append("<p class=\"note\">").Append(Encode(note)).Append("</p>");
        }

        AppendMetrics(html, document, evaluation, trials);
        if (hasGroundTruth)
        {
            AppendPublished(html);
        }

        AppendStageTimings(html, document);
        AppendSettings(html, document);
        if (importance is not null)
        {
            ImportanceReport.AppendHtml(html, importance);
        }

        var labels = trials.Select(t => t.Result.Label).ToArray();
        if (hasGroundTruth)
        {
            html.Append("<h2>Per-trial similarity to the image seen</h2>")
                .Append(Plot(labels, [("PixCorr", "#3b7dd8", trials.Select(t => t.PixCorr ?? 0).ToArray()), ("SSIM", "#e08a2c", trials.Select(t => t.Ssim ?? 0).ToArray())]));
        }
        else
        {
            html.Append("<h2>Per-trial voting score of the chosen candidate</h2>")
                .Append(Plot(labels, [("voting score", "#2a9d4b", trials.Select(t => (double)t.Result.ChosenScore).ToArray())]));
        }

        AppendGrid(html, trials);
        html.Append("<h2>Trials</h2><p>")
            .Append(hasGroundTruth ? "ground truth | " : "")
            .Append("low-level | final (the chosen candidate), then every candidate with its voting score (higher wins; chosen outlined) and caption.</p>");
        foreach (var trial in trials)
        {
            AppendTrial(html, trial);
        }

        html.Append("</body></html>");
        AtomicFile.WriteAllText(path, html.ToString());
    }

    private static void AppendMetrics(StringBuilder html, JsonObject document, EvaluationResult? evaluation, IReadOnlyList<ReportTrial> trials)
    {
        html.Append("<h2>Metrics</h2>");
        if (evaluation is null)
        {
            html.Append("<table id=\"metrics\"><tr><th>metric</th><th>value</th></tr>")
                .Append("<tr><td>trials</td><td>").Append(trials.Count.ToString(CultureInfo.InvariantCulture)).Append("</td></tr>");
            if (trials.Count > 0)
            {
                html.Append("<tr><td>chosen candidate's voting score (mean)</td><td>").Append(Format(trials.Average(t => t.Result.ChosenScore))).Append("</td></tr>");
            }

            html.Append("</table>");
            return;
        }

        html.Append("<p>Every row against the same ground truths, in the same run: <b>final</b> the reconstructions; <b>low-level</b> the chosen model's low-level images alone; ")
            .Append("<b>mean training image</b> one image for every trial (ignores the brain); <b>chance</b> each final image scored against another trial's ground truth (shuffled pairs). ")
            .Append("PixCorr and SSIM after resizing both images to 256 px, then 425 px (MindEye's protocol); SSIM as MindEye's code computes it (column-wise), SSIM (2-D definition) as defined. ")
            .Append("Distances (EffNet-B, SwAV): lower is better.</p>")
            .Append("<table id=\"metrics\"><tr><th>metric</th>");
        foreach (var column in RunEvaluation.Columns)
        {
            html.Append("<th>").Append(Encode(column.Replace('_', ' '))).Append("</th>");
        }

        html.Append("</tr>");
        foreach (var row in evaluation.Rows.Where(r => r.Values["final"] is not null))
        {
            html.Append("<tr><td>").Append(Encode(row.Name + (row.HigherIsBetter ? "" : " ↓"))).Append("</td>");
            foreach (var column in RunEvaluation.Columns)
            {
                html.Append("<td>").Append(row.Values[column] is { } v ? Format(v) : "—").Append("</td>");
            }

            html.Append("</tr>");
        }

        foreach (var retrieval in new[] { evaluation.Retrieval300, evaluation.RetrievalFull })
        {
            if (retrieval is null)
            {
                continue;
            }

            foreach (var (direction, value) in new[] { ("image", retrieval.Image), ("brain", retrieval.Brain) })
            {
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{direction} retrieval top-1, {retrieval.Pool}-way ({retrieval.Draws} draws)</td><td>{Format(value)}</td><td>—</td><td>—</td><td>{Format(retrieval.Chance)}</td></tr>");
            }
        }

        html.Append("</table>");
        _ = document;
    }

    private static void AppendPublished(StringBuilder html)
    {
        html.Append("<h2>Published numbers</h2><p class=\"note\">Real NSD, not comparable to the demo: other data, other subjects, real networks. ")
            .Append("From the papers' tables and MindEye's notebook output; — where the source does not give the number.</p><table id=\"published\"><tr><th>method</th>");
        foreach (var key in PublishedKeys)
        {
            var name = FeatureMetric.MindEye.FirstOrDefault(m => m.Key == key)?.Name ?? (key == "pixcorr" ? "PixCorr" : "SSIM");
            html.Append("<th>").Append(Encode(name)).Append("</th>");
        }

        html.Append("</tr>");
        foreach (var (method, values) in Published)
        {
            html.Append("<tr><td>").Append(Encode(method)).Append("</td>");
            foreach (var value in values)
            {
                html.Append("<td>").Append(value is { } v ? Format(v) : "—").Append("</td>");
            }

            html.Append("</tr>");
        }

        html.Append("</table>");
    }

    private static void AppendStageTimings(StringBuilder html, JsonObject document)
    {
        if (document["stage_timings"] is not JsonArray { Count: > 0 } stages)
        {
            return;
        }

        html.Append("<h2>Stage timings</h2><p>Wall time per stage over the trials, as the pipeline names its stages, in the order they ran. ")
            .Append("A stage run for several trials at once (the encoders before diffusion) counts each trial's share.</p>")
            .Append("<table id=\"stage-timings\"><tr><th>stage</th><th>trials</th><th>median ms</th><th>p95 ms</th></tr>");
        foreach (var stage in stages)
        {
            html.Append("<tr><td>").Append(Encode(stage!["stage"]!.GetValue<string>())).Append("</td><td>").Append(stage["trials"]!.ToJsonString())
                .Append("</td><td>").Append(Milliseconds(stage["median_ms"])).Append("</td><td>").Append(Milliseconds(stage["p95_ms"])).Append("</td></tr>");
        }

        html.Append("</table>");
    }

    private static string Milliseconds(JsonNode? value) => value is null ? "—" : value.GetValue<double>().ToString("F1", CultureInfo.InvariantCulture);

    private static void AppendSettings(StringBuilder html, JsonObject document)
    {
        html.Append("<h2>Run</h2><table id=\"settings\">");
        var fields = new List<(string, string)>
        {
            ("library version", document["library_version"]?.ToString() ?? "?"),
            ("trials", document["trials"]?.ToJsonString() ?? "?"),
        };
        Flatten(document["run"], "", fields);
        foreach (var (name, value) in fields)
        {
            html.Append("<tr><td>").Append(Encode(name)).Append("</td><td>").Append(Encode(value)).Append("</td></tr>");
        }

        html.Append("</table>");
    }

    private static void Flatten(JsonNode? node, string prefix, List<(string, string)> fields)
    {
        if (node is JsonObject obj)
        {
            foreach (var (key, value) in obj)
            {
                Flatten(value, prefix.Length == 0 ? key : $"{prefix}.{key}", fields);
            }
        }
        else
        {
            fields.Add((prefix, node is null ? "—" : node is JsonValue v && v.TryGetValue<string>(out var text) ? text : node.ToJsonString()));
        }
    }

    private static void AppendGrid(StringBuilder html, IReadOnlyList<ReportTrial> trials)
    {
        html.Append(CultureInfo.InvariantCulture, $"<h2>Grid (first {Math.Min(GridTrials, trials.Count)} trials, as grid.png)</h2><div id=\"grid\" class=\"row\">");
        foreach (var trial in trials.Take(GridTrials))
        {
            var result = trial.Result;
            var caption = result.Candidates[result.ChosenIndex].Caption;
            html.Append("<figure class=\"cell\"><div class=\"row\">");
            foreach (var (image, what) in new[] { (trial.Truth, "ground truth"), (trial.LowLevel, "low-level"), (trial.Final, "final") })
            {
                if (image is not null)
                {
                    html.Append(CultureInfo.InvariantCulture, $"<img class=\"thumb\" alt=\"{Encode($"{result.Label} {what}")}\" width=\"{image.Width}\" height=\"{image.Height}\" src=\"data:image/png;base64,{Convert.ToBase64String(image.ToPng())}\">");
                }
            }

            html.Append("</div><figcaption class=\"cap\"><b>").Append(Encode(result.Label)).Append("</b> · ").Append(Encode(result.ChosenModel))
                .Append(caption is null ? "" : " · " + Encode(caption)).Append("</figcaption></figure>");
        }

        html.Append("</div>");
    }

    private static void AppendTrial(StringBuilder html, ReportTrial trial)
    {
        var result = trial.Result;
        html.Append("<section class=\"trial\" id=\"").Append(Encode(result.Key)).Append("\"><h3>").Append(Encode(result.Label)).Append("</h3><div class=\"row main\">");
        if (trial.Truth is not null)
        {
            html.Append(Figure(trial.Truth, "ground truth", chosen: false));
        }

        if (trial.LowLevel is not null)
        {
            html.Append(Figure(trial.LowLevel, "low-level", chosen: false));
        }

        html.Append(Figure(trial.Final, $"final: {result.ChosenModel}", chosen: false)).Append("<div class=\"cap\">");
        if (trial.PixCorr is { } pixCorr && trial.Ssim is { } ssim)
        {
            html.Append("PixCorr ").Append(Format(pixCorr)).Append(", SSIM ").Append(Format(ssim)).Append("<br>");
        }

        if (result.Candidates[result.ChosenIndex].Caption is { } chosenCaption)
        {
            html.Append("caption: ").Append(Encode(chosenCaption)).Append("<br>");
        }

        html.Append(Encode(result.Pipeline)).Append(", ").Append(result.Seconds.ToString("F1", CultureInfo.InvariantCulture)).Append(" s</div></div><div class=\"row candidates\">");
        for (var c = 0; c < trial.Candidates.Count && c < result.Candidates.Length; c++)
        {
            var candidate = result.Candidates[c];
            var caption = $"{candidate.Model} #{candidate.Sample}: {Format(candidate.Score)}" + (candidate.Caption is null ? "" : $" — {candidate.Caption}");
            html.Append(Figure(trial.Candidates[c], caption, chosen: c == result.ChosenIndex));
        }

        html.Append("</div></section>");
    }

    private static string Figure(RgbImage image, string caption, bool chosen) =>
        $"<figure{(chosen ? " class=\"chosen\"" : "")}><img alt=\"{Encode(caption)}\" width=\"{image.Width}\" height=\"{image.Height}\" src=\"data:image/png;base64,{Convert.ToBase64String(image.ToPng())}\"><figcaption class=\"cap\">{Encode(caption)}</figcaption></figure>";

    private static string Plot(IReadOnlyList<string> labels, IReadOnlyList<(string Name, string Colour, double[] Values)> series)
    {
        const int Width = 760, Height = 220, Left = 36, Top = 24, Half = (Height - Top) / 2;
        const int Zero = Top + Half;
        var svg = new StringBuilder().Append(CultureInfo.InvariantCulture, $"<svg id=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" role=\"img\" aria-label=\"per-trial {string.Join(" and ", series.Select(s => s.Name))}\">");
        foreach (var (value, y) in new[] { ("1", Top), ("0", Zero), ("−1", Height) })
        {
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{y}\" x2=\"{Width}\" y2=\"{y}\" stroke=\"{(value == "0" ? "#999" : "#eee")}\"/><text x=\"{Left - 6}\" y=\"{Math.Min(y + 4, Height - 2)}\" font-size=\"11\" text-anchor=\"end\" fill=\"#666\">{value}</text>");
        }

        var step = labels.Count > 0 ? (Width - Left) / (double)labels.Count : 0;
        var barWidth = step / series.Count;
        for (var i = 0; i < labels.Count; i++)
        {
            for (var s = 0; s < series.Count; s++)
            {
                var value = Math.Clamp(series[s].Values[i], -1, 1);
                var barHeight = Math.Abs(value) * (Half - 2);
                var y = value >= 0 ? Zero - barHeight : Zero;
                svg.Append(CultureInfo.InvariantCulture,
                    $"<rect x=\"{Left + (i * step) + (s * barWidth):F1}\" y=\"{y:F1}\" width=\"{Math.Max(1, barWidth - 1):F1}\" height=\"{barHeight:F1}\" fill=\"{series[s].Colour}\"><title>{Encode(labels[i])}: {series[s].Name} {Format(series[s].Values[i])}</title></rect>");
            }
        }

        var x = Left;
        foreach (var (name, colour, _) in series)
        {
            svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{x}\" y=\"14\" font-size=\"12\" fill=\"{colour}\">{Encode(name)}</text>");
            x += 14 + (8 * name.Length);
        }

        return svg.Append("</svg>").ToString();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    /// <summary>A metric or score as the console table and the report show it: three decimals, invariant culture.</summary>
    internal static string Format(double value) => value.ToString("F3", CultureInfo.InvariantCulture);
}
