using System.Globalization;

namespace FmriToImage.Data.Nsd;

/// <summary>
/// The trial → image table of an <c>nsd_stim_info_merged.csv</c>-style file: for each 0-based <c>nsdId</c> (73k
/// index), whether it is one of the shared 1000 test images and, per subject, the 1-based global trial numbers of
/// its up to three presentations (<c>subjectN_rep0..2</c>; 0 = not shown).
/// </summary>
/// <remarks>Immutable and thread-safe after loading.</remarks>
internal sealed class NsdStimulusTable
{
    private readonly Dictionary<(int Subject, int Trial), int> _imageOfTrial = [];
    private readonly List<int> _shared = [];

    private NsdStimulusTable()
    {
    }

    /// <summary>The nsdIds of the shared-1000 images, ascending.</summary>
    public IReadOnlyList<int> SharedImages => _shared;

    /// <summary>Number of rows (images) in the table.</summary>
    public int ImageCount { get; private set; }

    /// <summary>Loads the CSV (header row required; quoted fields allowed).</summary>
    /// <exception cref="FmriToImageException">A required column is missing or a value is not an integer (file and line named).</exception>
    public static NsdStimulusTable Load(string path) => Parse(File.ReadLines(path), path);

    /// <summary>Parses CSV lines (see <see cref="Load"/>).</summary>
    public static NsdStimulusTable Parse(IEnumerable<string> lines, string source)
    {
        var table = new NsdStimulusTable();
        using var e = lines.GetEnumerator();
        if (!e.MoveNext())
        {
            throw new FmriToImageException($"{source}: empty file, expected a header row");
        }

        string[] header = SplitCsv(e.Current);
        int Column(string name) => Array.IndexOf(header, name) is int i and >= 0 ? i
            : throw new FmriToImageException($"{source}: no '{name}' column (columns: {string.Join(", ", header)})");
        int nsdId = Column("nsdId");
        int shared = Column("shared1000");
        var reps = new List<(int Subject, int Column)>();
        for (int s = 1; s <= 8; s++)
        {
            for (int r = 0; r < 3; r++)
            {
                int c = Array.IndexOf(header, $"subject{s}_rep{r}");
                if (c >= 0)
                {
                    reps.Add((s, c));
                }
            }
        }

        int line = 1;
        while (e.MoveNext())
        {
            line++;
            if (e.Current.Length == 0)
            {
                continue;
            }

            string[] f = SplitCsv(e.Current);
            int id = Int(f, nsdId, source, line);
            table.ImageCount++;
            if (Bool(f, shared, source, line))
            {
                table._shared.Add(id);
            }

            foreach (var (subject, column) in reps)
            {
                int trial = Int(f, column, source, line);
                if (trial > 0)
                {
                    table._imageOfTrial[(subject, trial)] = id;
                }
            }
        }

        table._shared.Sort();
        return table;
    }

    /// <summary>The nsdId shown to <paramref name="subject"/> on 1-based global trial <paramref name="trial"/>, if listed.</summary>
    public bool TryGetImage(int subject, int trial, out int nsdId) => _imageOfTrial.TryGetValue((subject, trial), out nsdId);

    /// <summary>The nsdId of each trial 1..<paramref name="trialCount"/> of a subject (−1 where not listed), index = trial − 1.</summary>
    public int[] ImagesOfTrials(int subject, int trialCount)
    {
        var result = new int[trialCount];
        for (int t = 0; t < trialCount; t++)
        {
            result[t] = TryGetImage(subject, t + 1, out int id) ? id : -1;
        }

        return result;
    }

    private static int Int(string[] f, int column, string source, int line) =>
        column < f.Length && int.TryParse(f[column], NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) ? v
        : column < f.Length && double.TryParse(f[column], NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && d == Math.Floor(d) ? (int)d
        : throw new FmriToImageException($"{source}, line {line}: column {column} is '{(column < f.Length ? f[column] : "")}', expected an integer");

    private static bool Bool(string[] f, int column, string source, int line) =>
        column < f.Length ? f[column].Trim() switch
        {
            "True" or "true" or "1" => true,
            "False" or "false" or "0" => false,
            var other => throw new FmriToImageException($"{source}, line {line}: shared1000 is '{other}', expected True/False"),
        } : throw new FmriToImageException($"{source}, line {line}: missing shared1000");

    private static string[] SplitCsv(string line)
    {
        var fields = new List<string>();
        var current = new System.Text.StringBuilder();
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            char c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    current.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }

        fields.Add(current.ToString().TrimEnd('\r'));
        return [.. fields];
    }
}
