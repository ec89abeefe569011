using System.Globalization;
using System.Text.RegularExpressions;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// The merge (--merge) after a sharded run: it reconstructs nothing, so it refuses an --out where any trial is not done
/// yet, or where a done trial was made by another run (another bundle or other settings), naming the trials, the
/// shards that have not finished and how to go on.
/// </summary>
internal static partial class ShardMerge
{
    /// <summary>How many trial keys a refusal names before "…".</summary>
    private const int KeysNamed = 5;

    /// <summary>
    /// Why the trials <paramref name="outputs"/> (the whole trial set, in its order) in <paramref name="outputFolder"/>
    /// cannot be merged by a run of <paramref name="identity"/>, or null when every trial is done by that run.
    /// </summary>
    public static string? Refusal(string outputFolder, IReadOnlyList<TrialOutputs> outputs, RunIdentity identity)
    {
        var missing = new List<int>();
        for (var k = 0; k < outputs.Count; k++)
        {
            var record = outputs[k].ReadRecord();
            if (!outputs[k].IsComplete(record))
            {
                missing.Add(k);
            }
            else if (record!.Run != identity)
            {
                return $"--merge: '{outputs[k].Json}' was made by another run than this merge asks for: {identity.DifferenceFrom(record.Run)}. "
                    + "Shards of one --out must share the bundle and every setting; merge with those settings, or redo the other run's trials into another --out.";
            }
        }

        if (missing.Count == 0)
        {
            return null;
        }

        var named = string.Join(", ", missing.Take(KeysNamed).Select(k => outputs[k].Key)) + (missing.Count > KeysNamed ? ", …" : "");
        return $"--merge: {missing.Count} of {outputs.Count} trials in '{Path.Combine(outputFolder, "trials")}' are not done ({named}){UnfinishedShards(outputFolder, missing)}. "
            + "Merge once every shard has finished (a shard that stopped early resumes with --resume); a run with --resume and without --merge would reconstruct them here instead.";
    }

    /// <summary>
    /// ": shards 0/3, 2/3 have not finished" from the shard outputs in <paramref name="outputFolder"/>
    /// (metrics.shardIofN.json), when they name exactly one shard count; otherwise what they say about it, or nothing.
    /// </summary>
    private static string UnfinishedShards(string outputFolder, List<int> missing)
    {
        var counts = Directory.Exists(outputFolder)
            ? Directory.EnumerateFiles(outputFolder, "metrics.shard*of*.json")
                .Select(f => ShardFileName().Match(Path.GetFileName(f)))
                .Select(m => m.Success && int.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0)
                .Where(n => n > 0)
                .Distinct()
                .Order()
                .ToArray()
            : [];
        if (counts.Length > 1)
        {
            return $"; the folder holds shard outputs of {counts.Length} different splits (of {string.Join(", of ", counts)}), so shards may have overlapped";
        }

        if (counts.Length == 0)
        {
            return "";
        }

        var shards = missing.Select(k => k % counts[0]).Distinct().Order().Select(i => $"{i}/{counts[0]}").ToArray();
        return $": shard{(shards.Length > 1 ? "s" : "")} {string.Join(", ", shards)} ha{(shards.Length > 1 ? "ve" : "s")} not finished";
    }

    [GeneratedRegex(@"^metrics\.shard\d+of(\d+)\.json$", RegexOptions.CultureInvariant)]
    private static partial Regex ShardFileName();
}
