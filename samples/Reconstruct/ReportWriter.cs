using System.Globalization;
using System.Net;
using System.Text;
using FmriToImage.Imaging;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>Writes report.html: one self-contained page (images inline as PNG data) a researcher can open anywhere.</summary>
internal static class ReportWriter
{
    public static void Write(
        string path,
        string title,
        IReadOnlyList<(string Name, string Value, string Chance)> metrics,
        IReadOnlyList<(int ImageId, RgbImage Truth, RgbImage? LowLevel, RgbImage Final, TrialResult Result, double PixCorr, double Ssim)> trials)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
            .Append(WebUtility.HtmlEncode(title))
            .Append("</title><style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}table{border-collapse:collapse}td,th{padding:4px 10px;border-bottom:1px solid #ddd;text-align:left}")
            .Append("img{image-rendering:pixelated;width:128px;height:128px;border:1px solid #ccc}.trial{display:flex;gap:12px;align-items:flex-start;margin:10px 0}.cap{font-size:12px;max-width:160px}figure{margin:0}</style></head><body>")
            .Append("<h1>").Append(WebUtility.HtmlEncode(title)).Append("</h1>");

        html.Append("<h2>Metrics</h2><table id=\"metrics\"><tr><th>metric</th><th>value</th><th>chance / baseline</th></tr>");
        foreach (var (name, value, chance) in metrics)
        {
            html.Append("<tr><td>").Append(WebUtility.HtmlEncode(name)).Append("</td><td>").Append(value).Append("</td><td>").Append(WebUtility.HtmlEncode(chance)).Append("</td></tr>");
        }

        html.Append("</table><h2>Per-trial similarity</h2>").Append(Plot(trials.Select(t => (t.ImageId, t.PixCorr, t.Ssim)).ToArray()));
        html.Append("<h2>Trials</h2><p>ground truth | low-level | final (chosen) — with the chosen model, the voting scores and captions.</p>");
        foreach (var trial in trials)
        {
            html.Append("<div class=\"trial\">")
                .Append(Figure(trial.Truth, $"#{trial.ImageId} ground truth"));
            if (trial.LowLevel is not null)
            {
                html.Append(Figure(trial.LowLevel, "low-level"));
            }

            var scores = string.Join(", ", trial.Result.Scores.Select(s => s.ToString("F3", CultureInfo.InvariantCulture)));
            html.Append(Figure(trial.Final, $"final: {trial.Result.ChosenModel}"))
                .Append("<div class=\"cap\">scores: ").Append(scores)
                .Append("<br>").Append(WebUtility.HtmlEncode(string.Join(" / ", trial.Result.Captions)))
                .Append("<br>PixCorr ").Append(trial.PixCorr.ToString("F3", CultureInfo.InvariantCulture))
                .Append(", SSIM ").Append(trial.Ssim.ToString("F3", CultureInfo.InvariantCulture))
                .Append("</div></div>");
        }

        html.Append("</body></html>");
        File.WriteAllText(path, html.ToString());
    }

    private static string Figure(RgbImage image, string caption) =>
        $"<figure><img alt=\"{WebUtility.HtmlEncode(caption)}\" src=\"data:image/png;base64,{Convert.ToBase64String(image.ToPng())}\"><figcaption class=\"cap\">{WebUtility.HtmlEncode(caption)}</figcaption></figure>";

    private static string Plot(IReadOnlyList<(int ImageId, double PixCorr, double Ssim)> points)
    {
        const int Width = 720, Height = 200, Margin = 30;
        var svg = new StringBuilder($"<svg id=\"plot\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" role=\"img\" aria-label=\"per-trial PixCorr and SSIM\">");
        svg.Append($"<line x1=\"{Margin}\" y1=\"{Height / 2}\" x2=\"{Width}\" y2=\"{Height / 2}\" stroke=\"#999\"/>");
        var step = points.Count > 0 ? (Width - Margin) / (double)points.Count : 0;
        for (var i = 0; i < points.Count; i++)
        {
            var x = Margin + (i * step);
            foreach (var (value, colour, offset) in new[] { (points[i].PixCorr, "#3b7dd8", 0.0), (points[i].Ssim, "#e08a2c", step / 2) })
            {
                var barHeight = Math.Abs(value) * (Height / 2 - 10);
                var y = value >= 0 ? (Height / 2) - barHeight : Height / 2;
                svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{x + offset:F1}\" y=\"{y:F1}\" width=\"{Math.Max(1, (step / 2) - 1):F1}\" height=\"{barHeight:F1}\" fill=\"{colour}\"><title>#{points[i].ImageId}: {value:F3}</title></rect>");
            }
        }

        svg.Append($"<text x=\"{Margin}\" y=\"14\" font-size=\"12\" fill=\"#3b7dd8\">PixCorr</text><text x=\"{Margin + 70}\" y=\"14\" font-size=\"12\" fill=\"#e08a2c\">SSIM</text></svg>");
        return svg.ToString();
    }
}
