using System.Globalization;
using System.Net;
using System.Text;
using FmriToImage.Imaging;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// Writes report.html: one self-contained page (images inline as PNG data URIs, the plot as inline SVG, no script, no
/// external reference) a researcher can open anywhere. Ids the CI browser check (.ci/report-check) relies on:
/// <c>table#metrics</c>, <c>svg#plot</c>, <c>section.trial</c>, and <c>p#no-ground-truth</c> when there is none.
/// </summary>
internal static class ReportWriter
{
    private const string Style =
        "body{font-family:system-ui,sans-serif;margin:2em;color:#222;max-width:1100px}table{border-collapse:collapse}"
        + "td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}.note{background:#fff6dd;padding:8px 12px;border-left:4px solid #e0a800}"
        + "img{image-rendering:pixelated;border:1px solid #ccc}.main img{width:128px;height:128px}.candidates img{width:72px;height:72px}"
        + ".trial{border-top:1px solid #eee;padding:10px 0}.row{display:flex;gap:12px;align-items:flex-start;flex-wrap:wrap}"
        + ".cap{font-size:12px;max-width:170px}figure{margin:0}.chosen img{outline:3px solid #2a9d4b}h3{font-size:15px;margin:4px 0}";

    /// <summary>Writes the report.</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="title">The page title.</param>
    /// <param name="source">What the trials are.</param>
    /// <param name="hasGroundTruth">Whether the trials come with the images seen.</param>
    /// <param name="metrics">The metrics table: name, value, chance.</param>
    /// <param name="trials">The trials in order.</param>
    public static void Write(string path, string title, string source, bool hasGroundTruth, IReadOnlyList<(string Name, string Value, string Chance)> metrics, IReadOnlyList<ReportTrial> trials)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>").Append(Encode(title))
            .Append("</title><style>").Append(Style).Append("</style></head><body>")
            .Append("<h1>").Append(Encode(title)).Append("</h1><p>").Append(Encode(source)).Append("</p>");
        if (!hasGroundTruth)
        {
            html.Append("<p id=\"no-ground-truth\" class=\"note\">").Append(Encode(TrialSet.NoGroundTruth)).Append("</p>");
        }

        html.Append("<h2>Metrics</h2><table id=\"metrics\"><tr><th>metric</th><th>value</th><th>chance / baseline</th></tr>");
        foreach (var (name, value, chance) in metrics)
        {
            html.Append("<tr><td>").Append(Encode(name)).Append("</td><td>").Append(Encode(value)).Append("</td><td>").Append(Encode(chance)).Append("</td></tr>");
        }

        html.Append("</table>");
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
