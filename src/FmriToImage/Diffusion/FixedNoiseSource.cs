namespace FmriToImage.Diffusion;

/// <summary>
/// An <see cref="INoiseSource"/> that replays a given array, in order, so that a loop can be pinned to noise
/// produced elsewhere (a golden file, a PyTorch run). Not thread-safe.
/// </summary>
internal sealed class FixedNoiseSource : INoiseSource
{
    private readonly ReadOnlyMemory<float> _values;
    private int _position;

    /// <summary>Creates a source that hands out <paramref name="values"/> in order (the memory is not copied).</summary>
    /// <param name="values">The numbers to replay.</param>
    public FixedNoiseSource(ReadOnlyMemory<float> values) => _values = values;

    /// <summary>How many values have not been handed out yet.</summary>
    public int Remaining => _values.Length - _position;

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Fewer values remain than <paramref name="destination"/> needs; nothing is written.</exception>
    public void Fill(Span<float> destination)
    {
        if (destination.Length > Remaining)
        {
            throw new InvalidOperationException(
                $"FixedNoiseSource: {destination.Length} values requested but only {Remaining} of {_values.Length} remain.");
        }

        _values.Span.Slice(_position, destination.Length).CopyTo(destination);
        _position += destination.Length;
    }
}
