namespace FmriToImage.Samples.Reconstruct;

/// <summary>The job's metric table (<see cref="RunEvaluation"/>).</summary>
/// <param name="Rows">One row per metric, its value in each of <see cref="RunEvaluation.Columns"/> (null: not computed).</param>
/// <param name="PerTrial">Per trial (in row order), each metric of its final image.</param>
/// <param name="Retrieval300">300-way retrieval top-1 (30 draws), or null with fewer than 300 trials or no retrieval.</param>
/// <param name="RetrievalFull">Retrieval top-1 over all trials at once, or null without retrieval.</param>
internal sealed record EvaluationResult(IReadOnlyList<EvaluationResult.Row> Rows, IReadOnlyList<Dictionary<string, double?>> PerTrial, EvaluationResult.Retrieval? Retrieval300, EvaluationResult.Retrieval? RetrievalFull)
{
    /// <summary>One metric across the columns.</summary>
    /// <param name="Key">Stable key (metrics.json).</param>
    /// <param name="Name">Display name.</param>
    /// <param name="HigherIsBetter">False for distances.</param>
    /// <param name="Values">Column → value (null: not computed).</param>
    internal sealed record Row(string Key, string Name, bool HigherIsBetter, IReadOnlyDictionary<string, double?> Values);

    /// <summary>Retrieval top-1 accuracy.</summary>
    /// <param name="Pool">Items per draw.</param>
    /// <param name="Draws">Draws averaged.</param>
    /// <param name="Image">Brain → image (MindEye's "image retrieval").</param>
    /// <param name="Brain">Image → brain ("brain retrieval").</param>
    /// <param name="Chance">1 / pool.</param>
    internal sealed record Retrieval(int Pool, int Draws, double Image, double Brain, double Chance);
}
