using System.IO.Compression;

namespace FmriToImage.Imaging.Png;

/// <summary>How <see cref="PngEncoder"/> filters and compresses.</summary>
internal sealed record PngEncoderOptions
{
    /// <summary>The default options: adaptive filters, <see cref="CompressionLevel.Optimal"/>, 64 KiB IDAT chunks.</summary>
    public static PngEncoderOptions Default { get; } = new();

    /// <summary>
    /// One filter for every row, or <c>null</c> (the default) to choose per row the filter whose output has the
    /// smallest sum of absolute signed byte values (the heuristic the PNG specification recommends).
    /// </summary>
    public PngRowFilter? Filter { get; init; }

    /// <summary>The zlib compression level (System.IO.Compression).</summary>
    public CompressionLevel Compression { get; init; } = CompressionLevel.Optimal;

    /// <summary>Largest IDAT chunk payload in bytes; the compressed stream is split across chunks of this size.</summary>
    public int IdatChunkSize { get; init; } = 1 << 16;
}
