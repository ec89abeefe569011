using System.Globalization;

namespace FmriToImage.Samples.Reconstruct;

/// <summary><c>--rows</c>: which rows of a single trial file to reconstruct, e.g. <c>0-9,15,20-22</c> (0-based, inclusive ranges).</summary>
internal static class RowSelection
{
    /// <summary>The rows <paramref name="text"/> names, in the order given, each at most once.</summary>
    /// <exception cref="UsageException">A part is not a row or a range, or a row repeats.</exception>
    public static int[] Parse(string text)
    {
        var rows = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-', StringSplitOptions.TrimEntries);
            if (bounds.Length is < 1 or > 2 || !bounds.All(b => int.TryParse(b, NumberStyles.None, CultureInfo.InvariantCulture, out _)))
            {
                throw new UsageException("--rows", $"'{part}' is neither a row number nor a range like 0-9 (rows are 0-based)");
            }

            var first = int.Parse(bounds[0], CultureInfo.InvariantCulture);
            var last = int.Parse(bounds[^1], CultureInfo.InvariantCulture);
            if (last < first)
            {
                throw new UsageException("--rows", $"the range '{part}' ends before it starts");
            }

            rows.AddRange(Enumerable.Range(first, last - first + 1));
        }

        var repeated = rows.GroupBy(r => r).FirstOrDefault(g => g.Count() > 1);
        return repeated is null ? [.. rows] : throw new UsageException("--rows", $"row {repeated.Key} is named twice");
    }

    /// <summary>Rows as <see cref="Parse"/> reads them, consecutive ones as ranges: <c>2,5,7-9</c>.</summary>
    public static string Format(IEnumerable<int> rows)
    {
        var ranges = new List<(int First, int Last)>();
        foreach (var row in rows)
        {
            if (ranges.Count > 0 && ranges[^1].Last == row - 1)
            {
                ranges[^1] = (ranges[^1].First, row);
            }
            else
            {
                ranges.Add((row, row));
            }
        }

        return string.Join(",", ranges.Select(r => r.First == r.Last ? r.First.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{r.First}-{r.Last}")));
    }
}
