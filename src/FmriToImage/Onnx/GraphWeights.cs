namespace FmriToImage.Onnx;

/// <summary>
/// How much a graph file weighs — the file plus what lies beside it that may be its external data — and whether that is small
/// enough for one intra-op thread: a network of a few million weights (the demo's encoders and captioner) runs each
/// operator in well under a millisecond, so a second thread gains at most that and costs a wake-up per parallel
/// operator, which on a busy machine waits for a core (docs/performance.md, "Small networks on one thread").
/// </summary>
internal static class GraphWeights
{
    /// <summary>Graphs of at most this many bytes (graph and external data together) count as small: 16 MiB, 4 M float32 weights.</summary>
    public const long SmallGraphBytes = 16L << 20;

    /// <summary>
    /// The bytes of <paramref name="graphPath"/> plus those of every file beside it that is not another <c>.onnx</c>
    /// graph: its external data under whatever name the exporter gave it (<c>&lt;graph&gt;.data</c>, <c>weights.pb</c>,
    /// one file per tensor) is counted, and so are configs and vocabularies, so a graph may weigh more than it does but
    /// never less. 0 for a file that does not exist (opening it reports that); <see cref="long.MaxValue"/> when the folder
    /// cannot be listed (not small, so nothing is decided on a guess).
    /// </summary>
    public static long Bytes(string graphPath)
    {
        ArgumentNullException.ThrowIfNull(graphPath);
        var graph = new FileInfo(graphPath);
        if (!graph.Exists)
        {
            return 0;
        }

        long total = graph.Length;
        try
        {
            foreach (var file in graph.Directory!.EnumerateFiles())
            {
                if (file.FullName != graph.FullName && !file.Name.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase))
                {
                    total += file.Length;
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return long.MaxValue;
        }

        return total;
    }

    /// <summary>Whether <paramref name="graphPath"/> is at most <see cref="SmallGraphBytes"/> (see <see cref="Bytes"/>).</summary>
    public static bool IsSmall(string graphPath) => Bytes(graphPath) <= SmallGraphBytes;
}
