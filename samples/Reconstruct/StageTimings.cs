namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// Per-stage wall time over a run's trials (each trial's <c>Reconstruction.Timings</c>, stored in its record): median
/// and 95th percentile in milliseconds, stages named as the pipeline names them, in the order they were first seen.
/// </summary>
internal static class StageTimings
{
    /// <summary>One stage's summary.</summary>
    /// <param name="Stage">The stage's name as the pipeline gives it (e.g. "unclip diffusion").</param>
    /// <param name="Trials">How many trials recorded it.</param>
    /// <param name="MedianMs">The median over those trials, ms.</param>
    /// <param name="P95Ms">The 95th percentile over those trials, ms (linear interpolation between order statistics).</param>
    internal sealed record Row(string Stage, int Trials, double MedianMs, double P95Ms);

    /// <summary>Summarises the trials' stages; trials without timings (records of older versions) are left out.</summary>
    public static IReadOnlyList<Row> Summarise(IEnumerable<TrialResult> trials)
    {
        var byStage = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var trial in trials)
        {
            foreach (var stage in trial.Stages ?? [])
            {
                if (!byStage.TryGetValue(stage.Name, out var values))
                {
                    byStage[stage.Name] = values = [];
                    order.Add(stage.Name);
                }

                values.Add(stage.Milliseconds);
            }
        }

        return [.. order.Select(name =>
        {
            var values = byStage[name].ToArray();
            Array.Sort(values);
            return new Row(name, values.Length, Percentile(values, 0.5), Percentile(values, 0.95));
        })];
    }

    /// <summary>
    /// The <paramref name="fraction"/> quantile of ascending <paramref name="sorted"/> values, interpolating linearly
    /// between the order statistics at (n − 1)·fraction (NumPy's default; the median of an even count is the mean of the middle two).
    /// </summary>
    internal static double Percentile(IReadOnlyList<double> sorted, double fraction)
    {
        var position = (sorted.Count - 1) * fraction;
        var below = (int)Math.Floor(position);
        var above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
    }
}
