namespace FmriToImage.Diffusion;

/// <summary>
/// One noise stream per batch element: <see cref="Fill"/> splits the destination into as many equal blocks as there
/// are streams and fills block k from stream k. A batched <see cref="Sampler"/> run, which always draws whole batches
/// (N·L values), then gives each element exactly the numbers a run over that element alone would draw from its
/// stream, so batching several trials changes no trial's noise.
/// </summary>
/// <remarks>Not thread-safe (the streams are not).</remarks>
internal sealed class BatchedNoiseSource : INoiseSource
{
    private readonly INoiseSource[] _streams;

    /// <summary>Combines one stream per batch element, in batch order.</summary>
    /// <param name="streams">At least one stream; each used by this source only.</param>
    /// <exception cref="ArgumentException">The list is empty or holds null.</exception>
    public BatchedNoiseSource(IReadOnlyList<INoiseSource> streams)
    {
        ArgumentNullException.ThrowIfNull(streams);
        if (streams.Count == 0 || streams.Any(s => s is null))
        {
            throw new ArgumentException("A batched noise source needs one non-null stream per batch element.", nameof(streams));
        }

        _streams = streams.ToArray();
    }

    /// <summary>The number of batch elements (streams).</summary>
    public int BatchSize => _streams.Length;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The destination's length is not a multiple of <see cref="BatchSize"/>.</exception>
    public void Fill(Span<float> destination)
    {
        if (destination.Length % _streams.Length != 0)
        {
            throw new ArgumentException($"{destination.Length} noise values do not split into {_streams.Length} equal blocks, one per batch element.", nameof(destination));
        }

        var block = destination.Length / _streams.Length;
        for (var k = 0; k < _streams.Length; k++)
        {
            _streams[k].Fill(destination.Slice(k * block, block));
        }
    }
}
