using FmriToImage.Onnx;

namespace FmriToImage.Models;

/// <summary>
/// How many batch elements one run of a graph may take, from its first input's declared batch axis: any number when
/// the axis is dynamic, one when the export fixes it at 1 (then a wrapper runs element by element). The bundle's
/// contract check refuses any other fixed size (docs/model-bundle.md).
/// </summary>
internal static class BatchAxis
{
    /// <summary>The most elements one run takes: 1 when <paramref name="input"/> fixes its first axis at 1, else <see cref="int.MaxValue"/>.</summary>
    public static int Limit(GraphNode input) => input.Rank > 0 && input.Dimensions[0] == 1 ? 1 : int.MaxValue;

    /// <summary>The runs that cover <paramref name="count"/> elements with at most <paramref name="limit"/> per run: (start, length) pairs in order.</summary>
    public static IEnumerable<(int Start, int Length)> Slices(int count, int limit)
    {
        for (var start = 0; start < count; start += limit)
        {
            yield return (start, Math.Min(limit, count - start));
        }
    }
}
