using System.Buffers.Binary;
using System.IO.Compression;

namespace FmriToImage.Imaging.Png;

/// <summary>
/// Encodes 8-bit RGB and RGBA images as non-interlaced PNG files, with per-row filter choice and zlib compression
/// from <see cref="ZLibStream"/>. Writes IHDR, IDAT (split into chunks), IEND. Thread-safe: holds no state.
/// </summary>
internal static class PngEncoder
{
    private static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Encodes an <see cref="RgbImage"/> as an 8-bit RGB PNG.</summary>
    /// <param name="image">The image.</param>
    /// <param name="destination">Receives the PNG bytes; not closed.</param>
    /// <param name="options">Filter and compression choices; <c>null</c> for <see cref="PngEncoderOptions.Default"/>.</param>
    public static void EncodeRgb(RgbImage image, Stream destination, PngEncoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        Encode(image.PixelArray, image.Width, image.Height, PngColorType.Rgb, destination, options);
    }

    /// <summary>Encodes interleaved 8-bit pixels.</summary>
    /// <param name="pixels">Row-major samples, <c>width × height × 3</c> (RGB) or <c>× 4</c> (RGBA) bytes.</param>
    /// <param name="width">Width in pixels, at least 1.</param>
    /// <param name="height">Height in pixels, at least 1.</param>
    /// <param name="colorType"><see cref="PngColorType.Rgb"/> or <see cref="PngColorType.Rgba"/>.</param>
    /// <param name="destination">Receives the PNG bytes; not closed.</param>
    /// <param name="options">Filter and compression choices; <c>null</c> for <see cref="PngEncoderOptions.Default"/>.</param>
    /// <exception cref="ArgumentException">Unsupported colour type or a buffer of the wrong length.</exception>
    public static void Encode(
        ReadOnlySpan<byte> pixels, int width, int height, PngColorType colorType, Stream destination,
        PngEncoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        options ??= PngEncoderOptions.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(options.IdatChunkSize, 1, nameof(options));
        int channels = colorType switch
        {
            PngColorType.Rgb => 3,
            PngColorType.Rgba => 4,
            _ => throw new ArgumentException($"Only Rgb and Rgba can be encoded, got {colorType}.", nameof(colorType)),
        };
        long expected = (long)width * height * channels;
        if (pixels.Length != expected)
        {
            throw new ArgumentException(
                $"A {width}×{height} {colorType} image needs {expected} bytes, got {pixels.Length}.", nameof(pixels));
        }

        destination.Write(Signature);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr[4..], (uint)height);
        ihdr[8] = 8;
        ihdr[9] = (byte)colorType;
        ihdr[10] = ihdr[11] = ihdr[12] = 0;
        WriteChunk(destination, "IHDR"u8, ihdr);

        int rowBytes = width * channels;
        using (var idat = new IdatChunkStream(destination, options.IdatChunkSize))
        {
            using var zlib = new ZLibStream(idat, options.Compression, leaveOpen: true);
            var zero = new byte[rowBytes];
            var candidate = new byte[rowBytes + 1];
            var best = new byte[rowBytes + 1];
            for (int y = 0; y < height; y++)
            {
                ReadOnlySpan<byte> row = pixels.Slice(y * rowBytes, rowBytes);
                ReadOnlySpan<byte> previous = y == 0 ? zero : pixels.Slice((y - 1) * rowBytes, rowBytes);
                if (options.Filter is { } fixedFilter)
                {
                    best[0] = (byte)fixedFilter;
                    PngFilterMath.Filter(fixedFilter, row, previous, channels, best.AsSpan(1));
                }
                else
                {
                    long bestScore = long.MaxValue;
                    for (byte f = 0; f <= 4; f++)
                    {
                        candidate[0] = f;
                        PngFilterMath.Filter((PngRowFilter)f, row, previous, channels, candidate.AsSpan(1));
                        long score = Score(candidate.AsSpan(1));
                        if (score < bestScore)
                        {
                            bestScore = score;
                            candidate.AsSpan().CopyTo(best);
                        }
                    }
                }

                zlib.Write(best);
            }
        }

        WriteChunk(destination, "IEND"u8, []);
    }

    private static long Score(ReadOnlySpan<byte> filtered)
    {
        long sum = 0;
        foreach (byte b in filtered)
        {
            int v = (sbyte)b;
            sum += v < 0 ? -v : v;
        }

        return sum;
    }

    private static void WriteChunk(Stream destination, ReadOnlySpan<byte> type, ReadOnlySpan<byte> body)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(word, (uint)body.Length);
        destination.Write(word);
        destination.Write(type);
        destination.Write(body);
        uint crc = PngCrc32.Finish(PngCrc32.Update(PngCrc32.Update(0xFFFFFFFFu, type), body));
        BinaryPrimitives.WriteUInt32BigEndian(word, crc);
        destination.Write(word);
    }

    /// <summary>A write-only stream that packs what zlib produces into IDAT chunks of a fixed maximum size.</summary>
    private sealed class IdatChunkStream(Stream destination, int chunkSize) : Stream
    {
        private readonly byte[] _buffer = new byte[chunkSize];
        private int _count;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (!buffer.IsEmpty)
            {
                int n = Math.Min(buffer.Length, _buffer.Length - _count);
                buffer[..n].CopyTo(_buffer.AsSpan(_count));
                _count += n;
                buffer = buffer[n..];
                if (_count == _buffer.Length)
                {
                    Flush();
                }
            }
        }

        public override void Flush()
        {
            if (_count > 0)
            {
                WriteChunk(destination, "IDAT"u8, _buffer.AsSpan(0, _count));
                _count = 0;
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                Flush();
            }

            base.Dispose(disposing);
        }
    }
}
