namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// Where the bundle's networks run: the execution providers each session was created with (grouped when they agree)
/// and every fallback from CUDA to CPU (<c>--device auto</c>), for the console and <c>metrics.json</c>.
/// </summary>
/// <param name="Summary">e.g. "CPUExecutionProvider (all 11 networks)" or "unet/model.onnx: CUDAExecutionProvider, CPUExecutionProvider; …".</param>
/// <param name="Fallbacks">One line per reason why networks run on CPU although CUDA was preferred, naming the networks.</param>
internal sealed record DeviceReport(string Summary, IReadOnlyList<string> Fallbacks)
{
    /// <summary>The <c>metrics.json</c> value: the summary, then every fallback with its reason.</summary>
    public string ForMetrics => Fallbacks.Count == 0 ? Summary : $"{Summary}. {string.Join(" ", Fallbacks)}";

    /// <summary>Reads what every network of <paramref name="decoder"/> was created with.</summary>
    public static DeviceReport Of(BrainDecoder decoder)
    {
        var components = decoder.Networks.ToArray();
        var providers = components.Select(c => (c.RelativePath, Providers: string.Join(", ", c.ExecutionProviders))).ToArray();
        var distinct = providers.Select(p => p.Providers).Distinct(StringComparer.Ordinal).ToArray();
        var summary = distinct.Length == 1
            ? $"{distinct[0]} (all {components.Length} networks)"
            : string.Join("; ", providers.Select(p => $"{p.RelativePath}: {p.Providers}"));
        // One line per distinct reason (usually one: the same provider failed to load for every network).
        var fallingBack = components.Where(c => c.ExecutionProviderFallbackReason is not null).ToArray();
        var fallbacks = fallingBack
            .GroupBy(c => c.ExecutionProviderFallbackReason!, StringComparer.Ordinal)
            .Select(g => $"{(g.Count() == components.Length ? $"all {components.Length} networks" : string.Join(", ", g.Select(c => c.RelativePath)))}: {g.Key}")
            .ToArray();
        return new DeviceReport(fallingBack.Length > 0 ? $"{summary}; CPU instead of CUDA for {fallingBack.Length} of {components.Length} networks" : summary, fallbacks);
    }
}
