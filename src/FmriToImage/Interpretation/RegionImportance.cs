namespace FmriToImage.Interpretation;

/// <summary>
/// Leave-one-region-out importances: for trial t and region r, 1 − cosine(embedding with region r's voxels set to 0,
/// embedding of the unchanged trial). 0 = removing the region changes nothing; larger = the region matters more.
/// </summary>
/// <param name="Regions">The region names, in the order of the columns below.</param>
/// <param name="PerTrial">trials × regions importances, row-major.</param>
/// <param name="Mean">The mean over trials, one per region.</param>
internal sealed record RegionImportance(IReadOnlyList<string> Regions, float[] PerTrial, float[] Mean)
{
    /// <summary>How many trials <see cref="PerTrial"/> holds.</summary>
    public int TrialCount => Regions.Count == 0 ? 0 : PerTrial.Length / Regions.Count;

    /// <summary>Trial <paramref name="trial"/>'s importances, one per region.</summary>
    public ReadOnlySpan<float> Trial(int trial) => PerTrial.AsSpan(trial * Regions.Count, Regions.Count);

    /// <summary>The region names ordered by mean importance, largest first (ties keep the input order).</summary>
    public IReadOnlyList<string> Ranking() =>
        Enumerable.Range(0, Regions.Count).OrderByDescending(r => Mean[r]).Select(r => Regions[r]).ToArray();
}
