using System.Globalization;
using FmriToImage.Data.Hdf5;
using FmriToImage.Imaging;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// The images seen in a single file's trials, for a lab's own data: <c>--images</c> is a folder of PNG/JPEG files or
/// an HDF5 file with NSD's <c>/imgBrick</c> (images × height × width × 3, uint8), and <c>--image-ids</c> maps each
/// trial row to an image: a comma-separated list (row 0 first) or a file — one id per line, or a CSV with a header
/// holding an <c>image</c> (or <c>nsdId</c>) column and optionally a <c>row</c> column. In a folder an id names the
/// file whose name without extension is the id; in HDF5 it is the index along the first axis (the nsdId).
/// </summary>
internal static class GroundTruthImages
{
    /// <summary>The image of each of <paramref name="rows"/> (file row numbers).</summary>
    /// <exception cref="UsageException">The mapping names no image for a row, an id has no image, or the source is of another kind.</exception>
    public static RgbImage[] Load(string images, string imageIds, IReadOnlyList<int> rows)
    {
        var ids = ReadIds(imageIds);
        var wanted = rows.Select(r => ids.TryGetValue(r, out var id) ? id : throw new UsageException("--image-ids", $"names no image for trial row {r} (it maps rows {Describe(ids.Keys)})")).ToArray();
        if (Directory.Exists(images))
        {
            var files = Directory.EnumerateFiles(images)
                .Where(f => Path.GetExtension(f).ToLowerInvariant() is ".png" or ".jpg" or ".jpeg")
                .GroupBy(f => Path.GetFileNameWithoutExtension(f), StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
            return wanted.Select(id => files.TryGetValue(id, out var found)
                ? found.Length == 1 ? RgbImage.Load(found[0]) : throw new UsageException("--images", $"'{images}' has {found.Length} files named '{id}' ({string.Join(", ", found.Select(Path.GetFileName))}); keep one")
                : throw new UsageException("--images", $"'{images}' has no PNG or JPEG named '{id}' (from --image-ids)")).ToArray();
        }

        if (Path.GetExtension(images).ToLowerInvariant() is not (".h5" or ".hdf5"))
        {
            throw new UsageException("--images", $"'{images}' is neither a folder of PNG/JPEG images nor an .h5/.hdf5 file");
        }

        using var file = Hdf5File.Open(images);
        var brick = file.GetDataset("/imgBrick");
        if (brick.Shape.Count != 4 || brick.Shape[3] != 3)
        {
            throw new UsageException("--images", $"'{images}' /imgBrick has shape ({string.Join(", ", brick.Shape)}); expected (images, height, width, 3)");
        }

        int height = (int)brick.Shape[1], width = (int)brick.Shape[2];
        var pixels = new float[height * width * 3];
        return wanted.Select(id =>
        {
            if (!long.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= brick.Shape[0])
            {
                throw new UsageException("--image-ids", $"'{id}' is not an index into '{images}' /imgBrick (0 to {brick.Shape[0] - 1})");
            }

            brick.ReadHyperslab([index, 0, 0, 0], [1, height, width, 3], [1, 1, 1, 1], pixels);
            return new RgbImage(width, height, pixels.Select(v => (byte)v).ToArray());
        }).ToArray();
    }

    /// <summary>Row → image id from a list or a file.</summary>
    internal static Dictionary<int, string> ReadIds(string imageIds)
    {
        if (!File.Exists(imageIds))
        {
            if (imageIds.Contains('/') || imageIds.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || imageIds.EndsWith(".txt", StringComparison.OrdinalIgnoreCase))
            {
                throw new UsageException("--image-ids", $"the file '{imageIds}' does not exist");
            }

            return imageIds.Split(',').Select((id, row) => (id.Trim(), row)).ToDictionary(p => p.row, p => p.Item1);
        }

        var lines = File.ReadAllLines(imageIds).Where(l => l.Trim().Length > 0).ToArray();
        if (lines.Length == 0)
        {
            throw new UsageException("--image-ids", $"'{imageIds}' is empty");
        }

        var header = lines[0].Split(',').Select(h => h.Trim()).ToArray();
        var imageColumn = Array.FindIndex(header, h => h is "image" or "nsdId" or "nsd_id");
        if (imageColumn < 0)
        {
            return lines.Select((id, row) => (id.Trim(), row)).ToDictionary(p => p.row, p => p.Item1);
        }

        var rowColumn = Array.IndexOf(header, "row");
        var ids = new Dictionary<int, string>();
        for (var i = 1; i < lines.Length; i++)
        {
            var cells = lines[i].Split(',').Select(c => c.Trim()).ToArray();
            if (cells.Length != header.Length)
            {
                throw new UsageException("--image-ids", $"'{imageIds}' line {i + 1} has {cells.Length} cells; the header has {header.Length}");
            }

            var row = i - 1;
            if (rowColumn >= 0 && !int.TryParse(cells[rowColumn], NumberStyles.None, CultureInfo.InvariantCulture, out row))
            {
                throw new UsageException("--image-ids", $"'{imageIds}' line {i + 1}: row '{cells[rowColumn]}' is not a row number");
            }

            if (!ids.TryAdd(row, cells[imageColumn]))
            {
                throw new UsageException("--image-ids", $"'{imageIds}' line {i + 1}: row {row} is mapped twice");
            }
        }

        return ids;
    }

    private static string Describe(IEnumerable<int> rows)
    {
        var sorted = rows.Order().ToArray();
        return sorted.Length == 0 ? "none" : $"{sorted[0]}–{sorted[^1]}, {sorted.Length} in all";
    }
}
