namespace FmriToImage.Onnx;

/// <summary>
/// How much a graph file weighs — the file plus its external-data file where there is one — and whether that is small
/// enough for one intra-op thread: a network of a few million weights (the demo's encoders and captioner) runs each
/// operator in well under a millisecond, so a second thread gains at most that and costs a wake-up per parallel
/// operator, which on a busy machine waits for a core (docs/performance.md, "Small networks on one thread").
/// </summary>
internal static class GraphWeights
{
    /// <summary>Graphs of at most this many bytes (graph and external data together) count as small: 16 MiB, 4 M float32 weights.</summary>
    public const long SmallGraphBytes = 16L << 20;

    /// <summary>
    /// The bytes of <paramref name="graphPath"/> plus those of its external data under the names exporters give it
    /// (<c>&lt;graph&gt;.data</c>, as the forge writes it, or <c>&lt;graph&gt;_data</c>); 0 for a file that does not exist
    /// (opening it reports that).
    /// </summary>
    public static long Bytes(string graphPath)
    {
        ArgumentNullException.ThrowIfNull(graphPath);
        return Length(graphPath) + Length(graphPath + ".data") + Length(graphPath + "_data");
    }

    /// <summary>Whether <paramref name="graphPath"/> is at most <see cref="SmallGraphBytes"/> (see <see cref="Bytes"/>).</summary>
    public static bool IsSmall(string graphPath) => Bytes(graphPath) <= SmallGraphBytes;

    private static long Length(string path)
    {
        var file = new FileInfo(path);
        return file.Exists ? file.Length : 0;
    }
}
