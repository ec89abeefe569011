using System.Buffers.Binary;
using System.IO.Compression;

namespace FmriToImage.Imaging.Png;

/// <summary>
/// Decodes PNG files (ISO/IEC 15948): every standard colour type and bit depth, Adam7 interlacing, the five filter
/// types, IDAT data split over several chunks, PLTE and tRNS. Every chunk's CRC is verified; header values and the
/// pixel count are validated before anything is allocated for the image.
/// </summary>
/// <remarks>
/// Ancillary chunks other than tRNS (gAMA, iCCP, tEXt, ...) are skipped: samples are returned as stored, without
/// colour management. Thread-safe: the class holds no state.
/// </remarks>
internal static class PngDecoder
{
    /// <summary>The default largest pixel count accepted (64 Mi pixels, e.g. 8192 × 8192).</summary>
    public const long DefaultMaxPixels = 1L << 26;

    private const string MemorySource = "<memory>";

    private const long MaxDeflateRatio = 1100;

    private static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7Passes =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    private static readonly (int X0, int Y0, int Dx, int Dy)[] SinglePass = [(0, 0, 1, 1)];

    /// <summary>Reads and decodes a PNG file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="maxPixels">Largest width × height accepted; larger headers are rejected before allocation.</param>
    /// <returns>The decoded samples and header.</returns>
    /// <exception cref="PngFormatException">The file is not a valid PNG or exceeds <paramref name="maxPixels"/>.</exception>
    public static PngImage Decode(string path, long maxPixels = DefaultMaxPixels)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Decode(File.ReadAllBytes(path), path, maxPixels);
    }

    /// <summary>Decodes PNG bytes.</summary>
    /// <param name="data">The complete file.</param>
    /// <param name="source">A name for the bytes used in error messages (e.g. the file path).</param>
    /// <param name="maxPixels">Largest width × height accepted; larger headers are rejected before allocation.</param>
    /// <returns>The decoded samples and header.</returns>
    /// <exception cref="PngFormatException">The bytes are not a valid PNG or exceed <paramref name="maxPixels"/>.</exception>
    public static PngImage Decode(ReadOnlySpan<byte> data, string source = MemorySource, long maxPixels = DefaultMaxPixels)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (data.Length < Signature.Length || !data[..Signature.Length].SequenceEqual(Signature))
        {
            throw new PngFormatException(
                source, null, 0, $"expected the 8-byte PNG signature 89 50 4E 47 0D 0A 1A 0A, found {Convert.ToHexString(data[..Math.Min(8, data.Length)])}");
        }

        Header? header = null;
        byte[]? palette = null;
        byte[]? paletteAlpha = null;
        ushort[]? transparentColor = null;
        var idatSegments = new List<(int Start, int Length)>();
        long firstIdatOffset = -1;
        bool idatClosed = false;
        bool sawEnd = false;
        int pos = Signature.Length;

        while (pos < data.Length)
        {
            long chunkOffset = pos;
            if (data.Length - pos < 8)
            {
                throw new PngFormatException(
                    source, null, chunkOffset, $"truncated chunk header: need 8 bytes, {data.Length - pos} remain");
            }

            uint length = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            ReadOnlySpan<byte> typeBytes = data.Slice(pos + 4, 4);
            string type = ChunkTypeName(typeBytes);
            if (!IsValidChunkType(typeBytes))
            {
                throw new PngFormatException(source, type, chunkOffset, "chunk type bytes are not ASCII letters");
            }

            if (length > int.MaxValue || length + 12L > data.Length - pos)
            {
                throw new PngFormatException(
                    source, type, chunkOffset,
                    $"chunk declares {length} data bytes but only {Math.Max(0, data.Length - pos - 12)} remain before the end of the file (truncated)");
            }

            int dataStart = pos + 8;
            ReadOnlySpan<byte> body = data.Slice(dataStart, (int)length);
            uint storedCrc = BinaryPrimitives.ReadUInt32BigEndian(data[(dataStart + (int)length)..]);
            uint actualCrc = PngCrc32.Compute(data.Slice(pos + 4, (int)length + 4));
            if (storedCrc != actualCrc)
            {
                throw new PngFormatException(
                    source, type, chunkOffset, $"CRC mismatch: stored 0x{storedCrc:X8}, computed 0x{actualCrc:X8}");
            }

            pos = dataStart + (int)length + 4;

            if (header is null && type != "IHDR")
            {
                throw new PngFormatException(source, type, chunkOffset, "expected IHDR as the first chunk");
            }

            if (idatSegments.Count > 0 && type != "IDAT")
            {
                idatClosed = true;
            }

            switch (type)
            {
                case "IHDR":
                    if (header is not null)
                    {
                        throw new PngFormatException(source, type, chunkOffset, "second IHDR chunk");
                    }

                    header = ParseHeader(body, source, chunkOffset, maxPixels);
                    break;
                case "PLTE":
                    if (length == 0 || length % 3 != 0 || length > 768)
                    {
                        throw new PngFormatException(
                            source, type, chunkOffset, $"palette length must be a multiple of 3 between 3 and 768, got {length}");
                    }

                    palette = body.ToArray();
                    break;
                case "tRNS":
                    ParseTransparency(body, header!.Value, palette, source, chunkOffset, out paletteAlpha, out transparentColor);
                    break;
                case "IDAT":
                    if (idatClosed)
                    {
                        throw new PngFormatException(source, type, chunkOffset, "IDAT chunks are not consecutive");
                    }

                    if (firstIdatOffset < 0)
                    {
                        firstIdatOffset = chunkOffset;
                    }

                    idatSegments.Add((dataStart, (int)length));
                    break;
                case "IEND":
                    sawEnd = true;
                    break;
                default:
                    if ((typeBytes[0] & 0x20) == 0)
                    {
                        throw new PngFormatException(source, type, chunkOffset, "unknown critical chunk (cannot be skipped)");
                    }

                    break;
            }

            if (sawEnd)
            {
                break;
            }
        }

        if (header is null)
        {
            throw new PngFormatException(source, "IHDR", pos, "file ends before the IHDR chunk");
        }

        if (idatSegments.Count == 0)
        {
            throw new PngFormatException(source, "IDAT", pos, "no IDAT chunk before the end of the file");
        }

        if (!sawEnd)
        {
            throw new PngFormatException(source, "IEND", pos, "file ends before the IEND chunk (truncated)");
        }

        Header h = header.Value;
        if (h.ColorType == PngColorType.Palette && palette is null)
        {
            throw new PngFormatException(source, "PLTE", firstIdatOffset, "palette image without a PLTE chunk before IDAT");
        }

        ushort[] samples = DecodeImageData(data, idatSegments, h, palette, source, firstIdatOffset);
        return new PngImage(
            h.Width, h.Height, h.ColorType, h.BitDepth, h.Interlaced, samples,
            h.ColorType == PngColorType.Palette ? palette : null, paletteAlpha, transparentColor);
    }

    private static ushort[] DecodeImageData(
        ReadOnlySpan<byte> data, List<(int Start, int Length)> segments, Header h, byte[]? palette, string source, long idatOffset)
    {
        int channels = PngImage.ChannelCount(h.ColorType);
        int bitsPerPixel = channels * h.BitDepth;
        int bytesPerPixel = Math.Max(1, bitsPerPixel / 8);
        var passes = h.Interlaced ? Adam7Passes : SinglePass;

        long rawLength = 0;
        int maxRowBytes = 0;
        foreach (var (x0, y0, dx, dy) in passes)
        {
            long pw = PassExtent(h.Width, x0, dx);
            long ph = PassExtent(h.Height, y0, dy);
            if (pw == 0 || ph == 0)
            {
                continue;
            }

            long rowBytes = ((pw * bitsPerPixel) + 7) / 8;
            maxRowBytes = (int)Math.Max(maxRowBytes, rowBytes);
            rawLength += ph * (1 + rowBytes);
        }

        if (rawLength > Array.MaxLength)
        {
            throw new PngFormatException(source, "IHDR", 8, $"image data of {rawLength} bytes exceeds the largest array");
        }

        int compressedLength = 0;
        foreach (var segment in segments)
        {
            compressedLength += segment.Length;
        }

        // Deflate cannot expand data by more than about 1032:1, so a header that promises far more image data than
        // the IDAT chunks can hold is rejected here, before the image buffers are allocated.
        if (rawLength > ((long)compressedLength * MaxDeflateRatio) + 1024)
        {
            throw new PngFormatException(
                source, "IDAT", idatOffset,
                $"{compressedLength} compressed bytes cannot hold the {rawLength} bytes of image data a {h.Width}×{h.Height} header needs (truncated)");
        }

        var compressed = new byte[compressedLength];
        int at = 0;
        foreach (var segment in segments)
        {
            data.Slice(segment.Start, segment.Length).CopyTo(compressed.AsSpan(at));
            at += segment.Length;
        }

        var raw = new byte[rawLength];
        int read;
        try
        {
            using var zlib = new ZLibStream(new MemoryStream(compressed, writable: false), CompressionMode.Decompress);
            read = zlib.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new PngFormatException(source, "IDAT", idatOffset, $"corrupt zlib image data: {e.Message}", e);
        }

        if (read < raw.Length)
        {
            throw new PngFormatException(
                source, "IDAT", idatOffset, $"image data is truncated: expected {raw.Length} decompressed bytes, got {read}");
        }

        var samples = new ushort[(long)h.Width * h.Height * channels];
        var previous = new byte[maxRowBytes];
        int paletteEntries = palette is null ? 0 : palette.Length / 3;
        int rawPos = 0;
        for (int p = 0; p < passes.Length; p++)
        {
            var (x0, y0, dx, dy) = passes[p];
            int pw = (int)PassExtent(h.Width, x0, dx);
            int ph = (int)PassExtent(h.Height, y0, dy);
            if (pw == 0 || ph == 0)
            {
                continue;
            }

            int rowBytes = (int)(((long)pw * bitsPerPixel + 7) / 8);
            Array.Clear(previous);
            for (int y = 0; y < ph; y++)
            {
                byte filter = raw[rawPos];
                if (filter > 4)
                {
                    throw new PngFormatException(
                        source, "IDAT", idatOffset,
                        $"row {y} of pass {p} (decompressed byte {rawPos}) has filter type {filter}; valid types are 0-4");
                }

                Span<byte> row = raw.AsSpan(rawPos + 1, rowBytes);
                PngFilterMath.Unfilter((PngRowFilter)filter, row, previous.AsSpan(0, rowBytes), bytesPerPixel);
                int outRow = y0 + (y * dy);
                StoreRow(row, samples, h, channels, pw, outRow, x0, dx, paletteEntries, source, idatOffset);
                row.CopyTo(previous);
                rawPos += 1 + rowBytes;
            }
        }

        return samples;
    }

    private static void StoreRow(
        ReadOnlySpan<byte> row, ushort[] samples, Header h, int channels, int passWidth, int outRow, int x0, int dx,
        int paletteEntries, string source, long idatOffset)
    {
        long rowStart = (long)outRow * h.Width * channels;
        int depth = h.BitDepth;
        int sampleIndex = 0;
        for (int x = 0; x < passWidth; x++)
        {
            long o = rowStart + ((long)(x0 + (x * dx)) * channels);
            for (int c = 0; c < channels; c++, sampleIndex++)
            {
                ushort value;
                if (depth == 8)
                {
                    value = row[sampleIndex];
                }
                else if (depth == 16)
                {
                    value = (ushort)((row[sampleIndex * 2] << 8) | row[(sampleIndex * 2) + 1]);
                }
                else
                {
                    int bit = sampleIndex * depth;
                    int shift = 8 - depth - (bit & 7);
                    value = (ushort)((row[bit >> 3] >> shift) & ((1 << depth) - 1));
                }

                if (h.ColorType == PngColorType.Palette && value >= paletteEntries)
                {
                    throw new PngFormatException(
                        source, "IDAT", idatOffset,
                        $"pixel ({x0 + (x * dx)}, {outRow}) uses palette index {value} but PLTE has {paletteEntries} entries");
                }

                samples[o + c] = value;
            }
        }
    }

    private static long PassExtent(int size, int start, int step) => size <= start ? 0 : ((long)size - start + step - 1) / step;

    private static Header ParseHeader(ReadOnlySpan<byte> body, string source, long offset, long maxPixels)
    {
        if (body.Length != 13)
        {
            throw new PngFormatException(source, "IHDR", offset, $"IHDR must hold 13 bytes, got {body.Length}");
        }

        uint width = BinaryPrimitives.ReadUInt32BigEndian(body);
        uint height = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        int depth = body[8];
        int colorType = body[9];
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
        {
            throw new PngFormatException(
                source, "IHDR", offset, $"width and height must be between 1 and 2^31-1, got {width}×{height}");
        }

        if ((long)width * height > maxPixels)
        {
            throw new PngFormatException(
                source, "IHDR", offset,
                $"{width}×{height} = {(long)width * height} pixels exceeds the limit of {maxPixels} pixels");
        }

        bool valid = colorType switch
        {
            0 => depth is 1 or 2 or 4 or 8 or 16,
            3 => depth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => depth is 8 or 16,
            _ => false,
        };
        if (!valid)
        {
            throw new PngFormatException(
                source, "IHDR", offset, $"colour type {colorType} with bit depth {depth} is not a valid combination");
        }

        if (body[10] != 0 || body[11] != 0 || body[12] > 1)
        {
            throw new PngFormatException(
                source, "IHDR", offset,
                $"compression, filter and interlace methods must be 0, 0 and 0|1, got {body[10]}, {body[11]}, {body[12]}");
        }

        return new Header((int)width, (int)height, depth, (PngColorType)colorType, body[12] == 1);
    }

    private static void ParseTransparency(
        ReadOnlySpan<byte> body, Header h, byte[]? palette, string source, long offset,
        out byte[]? paletteAlpha, out ushort[]? transparentColor)
    {
        paletteAlpha = null;
        transparentColor = null;
        switch (h.ColorType)
        {
            case PngColorType.Grey:
                if (body.Length != 2)
                {
                    throw new PngFormatException(source, "tRNS", offset, $"greyscale tRNS must hold 2 bytes, got {body.Length}");
                }

                transparentColor = [BinaryPrimitives.ReadUInt16BigEndian(body)];
                break;
            case PngColorType.Rgb:
                if (body.Length != 6)
                {
                    throw new PngFormatException(source, "tRNS", offset, $"RGB tRNS must hold 6 bytes, got {body.Length}");
                }

                transparentColor =
                [
                    BinaryPrimitives.ReadUInt16BigEndian(body),
                    BinaryPrimitives.ReadUInt16BigEndian(body[2..]),
                    BinaryPrimitives.ReadUInt16BigEndian(body[4..]),
                ];
                break;
            case PngColorType.Palette:
                if (palette is null || body.Length > palette.Length / 3)
                {
                    throw new PngFormatException(
                        source, "tRNS", offset,
                        $"palette tRNS holds {body.Length} entries but PLTE {(palette is null ? "is missing" : $"has {palette.Length / 3}")}");
                }

                paletteAlpha = body.ToArray();
                break;
            default:
                // tRNS is not allowed with an alpha channel; ignore it as most decoders do.
                break;
        }
    }

    private static string ChunkTypeName(ReadOnlySpan<byte> type)
    {
        Span<char> chars = stackalloc char[4];
        for (int i = 0; i < 4; i++)
        {
            byte b = type[i];
            chars[i] = b is >= 0x20 and < 0x7F ? (char)b : '?';
        }

        return new string(chars);
    }

    private static bool IsValidChunkType(ReadOnlySpan<byte> type)
    {
        foreach (byte b in type)
        {
            if (!((b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z')))
            {
                return false;
            }
        }

        return true;
    }

    private readonly record struct Header(int Width, int Height, int BitDepth, PngColorType ColorType, bool Interlaced);
}
