namespace FmriToImage.Imaging.Png;

/// <summary>Filtering and unfiltering of one scanline; shared by the decoder and the encoder.</summary>
internal static class PngFilterMath
{
    /// <summary>The Paeth predictor of the specification (section 9.4).</summary>
    public static byte Paeth(byte a, byte b, byte c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a);
        int pb = Math.Abs(p - b);
        int pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc)
        {
            return a;
        }

        return pb <= pc ? b : c;
    }

    /// <summary>Reverses a filter in place. <paramref name="previous"/> is all zeros for the first row of a pass.</summary>
    public static void Unfilter(PngRowFilter filter, Span<byte> row, ReadOnlySpan<byte> previous, int bytesPerPixel)
    {
        int n = row.Length;
        switch (filter)
        {
            case PngRowFilter.None:
                break;
            case PngRowFilter.Sub:
                for (int i = bytesPerPixel; i < n; i++)
                {
                    row[i] = (byte)(row[i] + row[i - bytesPerPixel]);
                }

                break;
            case PngRowFilter.Up:
                for (int i = 0; i < n; i++)
                {
                    row[i] = (byte)(row[i] + previous[i]);
                }

                break;
            case PngRowFilter.Average:
                for (int i = 0; i < bytesPerPixel && i < n; i++)
                {
                    row[i] = (byte)(row[i] + (previous[i] >> 1));
                }

                for (int i = bytesPerPixel; i < n; i++)
                {
                    row[i] = (byte)(row[i] + ((row[i - bytesPerPixel] + previous[i]) >> 1));
                }

                break;
            case PngRowFilter.Paeth:
                for (int i = 0; i < bytesPerPixel && i < n; i++)
                {
                    row[i] = (byte)(row[i] + previous[i]);
                }

                for (int i = bytesPerPixel; i < n; i++)
                {
                    row[i] = (byte)(row[i] + Paeth(row[i - bytesPerPixel], previous[i], previous[i - bytesPerPixel]));
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(filter), filter, "Unknown PNG filter type.");
        }
    }

    /// <summary>Applies a filter to <paramref name="row"/>, writing the filtered bytes to <paramref name="destination"/>.</summary>
    public static void Filter(
        PngRowFilter filter, ReadOnlySpan<byte> row, ReadOnlySpan<byte> previous, int bytesPerPixel, Span<byte> destination)
    {
        int n = row.Length;
        switch (filter)
        {
            case PngRowFilter.None:
                row.CopyTo(destination);
                break;
            case PngRowFilter.Sub:
                for (int i = 0; i < n; i++)
                {
                    destination[i] = (byte)(row[i] - (i >= bytesPerPixel ? row[i - bytesPerPixel] : 0));
                }

                break;
            case PngRowFilter.Up:
                for (int i = 0; i < n; i++)
                {
                    destination[i] = (byte)(row[i] - previous[i]);
                }

                break;
            case PngRowFilter.Average:
                for (int i = 0; i < n; i++)
                {
                    int left = i >= bytesPerPixel ? row[i - bytesPerPixel] : 0;
                    destination[i] = (byte)(row[i] - ((left + previous[i]) >> 1));
                }

                break;
            case PngRowFilter.Paeth:
                for (int i = 0; i < n; i++)
                {
                    byte left = i >= bytesPerPixel ? row[i - bytesPerPixel] : (byte)0;
                    byte upperLeft = i >= bytesPerPixel ? previous[i - bytesPerPixel] : (byte)0;
                    destination[i] = (byte)(row[i] - Paeth(left, previous[i], upperLeft));
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(filter), filter, "Unknown PNG filter type.");
        }
    }
}
