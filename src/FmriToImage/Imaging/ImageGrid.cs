namespace FmriToImage.Imaging;

/// <summary>
/// Composes rows of images (e.g. ground truth | low-level | candidates | chosen) into one picture. Each column is as
/// wide as its widest image and each row as tall as its tallest; images are centred in their cells; cells are
/// separated, and surrounded, by <c>spacing</c> pixels of the background colour; missing (<c>null</c>) cells and
/// short rows stay background.
/// </summary>
/// <remarks>Thread-safe: no shared state.</remarks>
public static class ImageGrid
{
    /// <summary>Builds the grid image.</summary>
    /// <param name="rows">The rows; each a list of images or <c>null</c> placeholders. At least one image overall.</param>
    /// <param name="spacing">Gap in pixels between cells and around the border, at least 0.</param>
    /// <param name="background">The colour of gaps and empty cells.</param>
    /// <returns>A new image.</returns>
    /// <exception cref="ArgumentException">There is no image at all.</exception>
    public static RgbImage Compose(
        IReadOnlyList<IReadOnlyList<RgbImage?>> rows, int spacing = 4, (byte R, byte G, byte B) background = default)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(spacing);
        int columns = 0;
        foreach (var row in rows)
        {
            ArgumentNullException.ThrowIfNull(row, nameof(rows));
            columns = Math.Max(columns, row.Count);
        }

        var columnWidths = new int[columns];
        var rowHeights = new int[rows.Count];
        bool any = false;
        for (int r = 0; r < rows.Count; r++)
        {
            for (int c = 0; c < rows[r].Count; c++)
            {
                if (rows[r][c] is { } image)
                {
                    any = true;
                    columnWidths[c] = Math.Max(columnWidths[c], image.Width);
                    rowHeights[r] = Math.Max(rowHeights[r], image.Height);
                }
            }
        }

        if (!any)
        {
            throw new ArgumentException("A grid needs at least one image.", nameof(rows));
        }

        long width = spacing + columnWidths.Sum(w => (long)w + spacing);
        long height = spacing + rowHeights.Sum(h => (long)h + spacing);
        if (width > int.MaxValue || height > int.MaxValue)
        {
            throw new ArgumentException($"The grid would be {width}×{height} pixels.", nameof(rows));
        }

        var grid = new RgbImage((int)width, (int)height);
        grid.Fill(background.R, background.G, background.B);
        int top = spacing;
        for (int r = 0; r < rows.Count; r++)
        {
            int left = spacing;
            for (int c = 0; c < columns; c++)
            {
                if (c < rows[r].Count && rows[r][c] is { } image)
                {
                    int x = left + ((columnWidths[c] - image.Width) / 2);
                    int y = top + ((rowHeights[r] - image.Height) / 2);
                    for (int row = 0; row < image.Height; row++)
                    {
                        image.Row(row).CopyTo(grid.Row(y + row)[(x * RgbImage.BytesPerPixel)..]);
                    }
                }

                left += columnWidths[c] + spacing;
            }

            top += rowHeights[r] + spacing;
        }

        return grid;
    }
}
