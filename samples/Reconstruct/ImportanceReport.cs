using System.Globalization;
using System.Net;
using System.Text;
using FmriToImage.Data.Atlas;
using FmriToImage.Data.Nifti;
using FmriToImage.Imaging;
using FmriToImage.Interpretation;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// --explain: the leave-one-ROI-out importance map (<see cref="BrainDecoder.Explain"/>) of the run's trials, written
/// as <c>importance.nii.gz</c> (the mean, in the subject's grid), <c>importance_trials.nii.gz</c> (X × Y × Z × trials),
/// <c>importance_rois.csv</c> (ROIs ranked by mean importance) and <c>importance_trials.csv</c> (trial × ROI), and shown
/// in report.html as slices of the map over the brain mask with the top ROIs named (<c>section#importance</c>).
/// </summary>
internal static class ImportanceReport
{
    /// <summary>The NSD atlases whose ROIs are removed: the named visual and category ROIs (streams overlap them all).</summary>
    public static readonly string[] NsdAtlases = ["prf-visualrois", "floc-faces", "floc-bodies", "floc-places"];

    /// <summary>The files <see cref="Write"/> writes into the output folder.</summary>
    public static readonly string[] Files = ["importance.nii.gz", "importance_trials.nii.gz", "importance_rois.csv", "importance_trials.csv"];

    /// <summary>How many ROIs the report names.</summary>
    public const int TopRois = 8;

    private const int SlicesPerAxis = 3, Zoom = 3;

    /// <summary>The atlas files of an NSD-layout data root for a subject (1-based): (volume, label table) per atlas.</summary>
    public static (string Volume, string Table)[] NsdAtlasFiles(string root, int subject) =>
        [.. NsdAtlases.Select(name => (
            Path.Combine(root, "nsddata", "ppdata", $"subj{subject:00}", "func1pt8mm", "roi", name + ".nii.gz"),
            Path.Combine(root, "nsddata", "freesurfer", $"subj{subject:00}", "label", name + ".mgz.ctab")))];

    /// <summary>What the report shows: the slices, the ranked ROIs (name, atlas, voxels, mean importance) and the trial count.</summary>
    public sealed record Summary(RgbImage Slices, IReadOnlyList<(string Roi, string Atlas, int Voxels, float Mean)> Ranked, int Trials, float Maximum, double Seconds);

    /// <summary>Writes <see cref="Files"/> into <paramref name="output"/> and returns what the report shows.</summary>
    /// <param name="output">The output folder.</param>
    /// <param name="map">The importances.</param>
    /// <param name="atlases">The atlases the ROIs came from (for the atlas column).</param>
    /// <param name="maskPath">The bundle's nsdgeneral mask: the brain (≥ 0 where the file marks outside the brain −1) under the map.</param>
    /// <param name="trialLabels">One label per explained trial, in order.</param>
    /// <param name="seconds">How long Explain took.</param>
    public static Summary Write(string output, ImportanceMap map, IReadOnlyList<RoiAtlas> atlases, string maskPath, IReadOnlyList<string> trialLabels, double seconds)
    {
        map.WriteNifti(Path.Combine(output, Files[0]));
        map.WriteTrialsNifti(Path.Combine(output, Files[1]));
        var ranked = map.Ranking().Select(roi =>
        {
            var r = map.Regions.ToList().IndexOf(roi);
            return (roi, atlases.First(a => a.Contains(roi)).Name, map.RegionVoxelCounts[r], map.Mean[r]);
        }).ToArray();
        var rois = new StringBuilder("rank,roi,atlas,voxels,mean_importance\n");
        for (var i = 0; i < ranked.Length; i++)
        {
            rois.Append(CultureInfo.InvariantCulture, $"{i + 1},{ranked[i].roi},{ranked[i].Name},{ranked[i].Item3},{ranked[i].Item4:R}\n");
        }

        AtomicFile.WriteAllText(Path.Combine(output, Files[2]), rois.ToString());
        var perTrial = new StringBuilder("trial,").Append(string.Join(",", map.Regions)).Append('\n');
        for (var t = 0; t < map.TrialCount; t++)
        {
            perTrial.Append(Csv(trialLabels[t]));
            foreach (var value in map.Trial(t))
            {
                perTrial.Append(CultureInfo.InvariantCulture, $",{value:R}");
            }

            perTrial.Append('\n');
        }

        AtomicFile.WriteAllText(Path.Combine(output, Files[3]), perTrial.ToString());
        var volume = map.Volume();
        return new Summary(Slices(volume, ReadMask(maskPath), map.Grid), ranked, map.TrialCount, volume.Max(), seconds);
    }

    /// <summary>Appends <c>section#importance</c>: the slices image, the colour scale and the top ROIs.</summary>
    public static void AppendHtml(StringBuilder html, Summary summary)
    {
        string Format(float v) => v.ToString("0.###E+0", CultureInfo.InvariantCulture);
        html.Append("<section id=\"importance\"><h2>Importance map (leave one ROI out)</h2><p>")
            .Append(CultureInfo.InvariantCulture, $"For each ROI, 1 − cosine between the brain's predicted image embedding with the ROI's voxels set to their training mean and without; mean of {summary.Trials} trials ({summary.Seconds:F2} s). ")
            .Append("Rows: axial, coronal, sagittal slices (the three of each with the most importance); grey: the brain (lighter: nsdgeneral), colour: importance from dark red (0) to yellow (")
            .Append(Format(summary.Maximum)).Append("). Files: ").Append(string.Join(", ", Files)).Append(".</p>")
            .Append(CultureInfo.InvariantCulture, $"<img id=\"importance-slices\" alt=\"importance map slices\" width=\"{summary.Slices.Width}\" height=\"{summary.Slices.Height}\" src=\"data:image/png;base64,{Convert.ToBase64String(summary.Slices.ToPng())}\">")
            .Append("<table id=\"importance-rois\"><tr><th>rank</th><th>ROI</th><th>atlas</th><th>voxels</th><th>mean importance</th></tr>");
        foreach (var (rank, (roi, atlas, voxels, mean)) in summary.Ranked.Take(TopRois).Select((r, i) => (i + 1, r)))
        {
            html.Append(CultureInfo.InvariantCulture, $"<tr><td>{rank}</td><td>{WebUtility.HtmlEncode(roi)}</td><td>{WebUtility.HtmlEncode(atlas)}</td><td>{voxels}</td><td>{Format(mean)}</td></tr>");
        }

        html.Append("</table></section>");
    }

    /// <summary>The mask's values (NIfTI order).</summary>
    private static float[] ReadMask(string path)
    {
        using var reader = NiftiReader.Open(path);
        var values = new float[reader.Header.VoxelsPerVolume];
        reader.ReadVolume(0, values);
        return values;
    }

    /// <summary>
    /// Three rows (axial z, coronal y, sagittal x slices, each the <see cref="SlicesPerAxis"/> with the largest summed
    /// importance, in index order), each slice drawn with its first axis across and its second upwards, ×<see cref="Zoom"/>.
    /// </summary>
    private static RgbImage Slices(float[] volume, float[] mask, (int X, int Y, int Z) grid)
    {
        var maximum = volume.Max();
        var outsideMarked = mask.Any(v => v < 0);
        int Index(int x, int y, int z) => x + (grid.X * (y + (grid.Y * z)));
        (byte, byte, byte) Colour(int i)
        {
            if (volume[i] > 0 && maximum > 0)
            {
                var t = volume[i] / maximum;
                return ((byte)(150 + (105 * t)), (byte)(20 + (235 * t)), (byte)(20 * (1 - t)));
            }

            var inside = outsideMarked ? mask[i] >= 0 : mask[i] > 0;
            return !inside ? ((byte)0, (byte)0, (byte)0) : mask[i] > 0 ? ((byte)115, (byte)115, (byte)115) : ((byte)60, (byte)60, (byte)60);
        }

        // Per axis: slice count, slice width × height, and the voxel at (slice, u, v).
        var axes = new (int Count, int Width, int Height, Func<int, int, int, int> At)[]
        {
            (grid.Z, grid.X, grid.Y, (s, u, v) => Index(u, v, s)),
            (grid.Y, grid.X, grid.Z, (s, u, v) => Index(u, s, v)),
            (grid.X, grid.Y, grid.Z, (s, u, v) => Index(s, u, v)),
        };
        var rows = new List<IReadOnlyList<RgbImage?>>();
        foreach (var (count, width, height, at) in axes)
        {
            var sums = Enumerable.Range(0, count).Select(s =>
                Enumerable.Range(0, width * height).Sum(p => (double)volume[at(s, p % width, p / width)])).ToArray();
            var chosen = Enumerable.Range(0, count).OrderByDescending(s => sums[s]).ThenBy(s => Math.Abs(s - (count / 2))).Take(SlicesPerAxis).Order();
            rows.Add([.. chosen.Select(s =>
            {
                var image = new RgbImage(width * Zoom, height * Zoom);
                for (var py = 0; py < image.Height; py++)
                {
                    for (var px = 0; px < image.Width; px++)
                    {
                        var (r, g, b) = Colour(at(s, px / Zoom, height - 1 - (py / Zoom)));
                        image.SetPixel(px, py, r, g, b);
                    }
                }

                return image;
            })]);
        }

        return ImageGrid.Compose(rows, spacing: 4, background: (255, 255, 255));
    }

    private static string Csv(string text) => text.Contains(',') || text.Contains('"') ? $"\"{text.Replace("\"", "\"\"")}\"" : text;
}
