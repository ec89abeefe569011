namespace FmriToImage.Models;

/// <summary>
/// One denoising loop's values for a UNet's added-condition inputs (<see cref="UNetAddedInputs"/>): per input, the
/// conditional and the unconditional rows, [batch × width] each. A guided step feeds [unconditional ‖ conditional] in
/// the sampler's order; an unguided one the conditional rows only. The values are constant over the loop.
/// </summary>
internal sealed class AddedConditions
{
    private readonly Dictionary<string, (float[] Conditional, float[] Unconditional)> _values = new(StringComparer.Ordinal);

    /// <summary>The batch size N the rows are for.</summary>
    public AddedConditions(int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        BatchSize = batchSize;
    }

    /// <summary>N, the loop's batch size (without the guidance halves).</summary>
    public int BatchSize { get; }

    /// <summary>Sets input <paramref name="name"/>'s rows (N × width each, equal lengths).</summary>
    /// <exception cref="ArgumentException">The lengths differ or are not N whole rows.</exception>
    public AddedConditions Set(string name, float[] conditional, float[] unconditional)
    {
        ArgumentNullException.ThrowIfNull(conditional);
        ArgumentNullException.ThrowIfNull(unconditional);
        if (conditional.Length != unconditional.Length || conditional.Length == 0 || conditional.Length % BatchSize != 0)
        {
            throw new ArgumentException($"'{name}': {conditional.Length} conditional and {unconditional.Length} unconditional values are not {BatchSize} equal non-empty rows each.", nameof(conditional));
        }

        _values[name] = (conditional, unconditional);
        return this;
    }

    /// <summary>The rows of <paramref name="name"/>, or false when none were set.</summary>
    public bool TryGet(string name, out float[] conditional, out float[] unconditional)
    {
        var found = _values.TryGetValue(name, out var rows);
        (conditional, unconditional) = found ? rows : ([], []);
        return found;
    }
}
