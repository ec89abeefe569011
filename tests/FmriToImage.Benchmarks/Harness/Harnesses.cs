namespace FmriToImage.Benchmarks.Harness;

/// <summary>The measured harnesses the benchmark executable runs instead of BenchmarkDotNet, by first argument.</summary>
internal static class Harnesses
{
    private static readonly Dictionary<string, Func<HarnessArguments, int>> ByName = new(StringComparer.Ordinal)
    {
        ["side-by-side"] = SideBySideHarness.Run,
        ["ort-tuning"] = OrtTuningHarness.Run,
        ["memory"] = MemoryHarness.Run,
        ["hdf5-rows"] = FmriToImage.Benchmarks.Data.ContiguousRowsHarness.Run,
        ["ridge"] = FmriToImage.Benchmarks.Adaptation.RidgeFitHarness.Run,
        ["scale"] = ScaleHarness.Run,
        ["vae-runs"] = VaeRunsHarness.Run,
        ["embed-brain"] = EmbedBrainHarness.Run,
    };

    /// <summary>The harness called <paramref name="name"/>, or null when it is none (then BenchmarkDotNet runs).</summary>
    public static Func<HarnessArguments, int>? Find(string name) => ByName.GetValueOrDefault(name);
}
