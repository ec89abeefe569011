using FmriToImage.Diffusion;
using FmriToImage.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Models;

/// <summary>
/// A conditional diffusion UNet export (<c>sample</c>, <c>timestep</c>, <c>encoder_hidden_states</c> →
/// <c>out_sample</c>) as the <see cref="IDenoiser"/> the <see cref="Sampler"/> calls once per step.
/// </summary>
/// <remarks>
/// <para>
/// Nothing is assumed that the graph declares: the element types of all three inputs (float32 or float16), the
/// timestep's type (float, float16, int64 or int32 — exporters differ) and rank (a scalar, or one value per batch
/// element), the latent channel count and the token width.
/// </para>
/// <para>
/// Inputs and outputs are bound once per batch size and sequence length (<see cref="OrtIoBinding"/> over 64-byte
/// aligned pinned buffers, so equal inputs give equal bits on every call); a step copies the latents and conditioning
/// in, runs, and copies the prediction out, allocating nothing.
/// Not thread-safe (one sampler drives it); the session belongs to the bundle, the bindings to this object.
/// </para>
/// </remarks>
internal sealed class UNet : IDenoiser, IDisposable
{
    private readonly DenoiserGraph _graph;
    private int _termBatch;
    private float[] _conditionalTerm = [];
    private float[] _guidedTerms = [];

    /// <summary>How many (batch, sequence) shapes' bound buffers the wrapper holds now (bounded; see <see cref="DenoiserGraph.MaxKeptShapes"/>).</summary>
    internal int KeptShapes => _graph.KeptShapes;

    /// <summary>Wraps a UNet session for latents of <paramref name="latentChannels"/>×<paramref name="latentHeight"/>×<paramref name="latentWidth"/>.</summary>
    /// <param name="session">The UNet session (not owned).</param>
    /// <param name="latentChannels">C; must match the graph's <c>sample</c> channels when it fixes them.</param>
    /// <param name="latentHeight">h, the latent height (image height ÷ the VAE's downsampling factor).</param>
    /// <param name="latentWidth">w, the latent width.</param>
    /// <param name="tokenWidth">The conditioning token width D, used when the graph does not fix it (e.g. the UNet config's <c>cross_attention_dim</c>).</param>
    /// <exception cref="TensorContractException">The graph lacks an input or output of the contract, fixes a different channel count, or neither it nor <paramref name="tokenWidth"/> gives the token width.</exception>
    internal UNet(GraphSession session, int latentChannels, int latentHeight, int latentWidth, int? tokenWidth = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentOutOfRangeException.ThrowIfLessThan(latentChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(latentHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(latentWidth, 1);
        _graph = new DenoiserGraph(session, "UNet");
        TokenWidth = CheckContract(_graph, latentChannels, latentHeight, latentWidth, tokenWidth);
        LatentChannels = latentChannels;
        LatentHeight = latentHeight;
        LatentWidth = latentWidth;
    }

    /// <summary>
    /// Checks a UNet graph's contract from its session's metadata alone (no wrapper, no buffer): what the constructor
    /// checks, for a load-time check.
    /// </summary>
    /// <returns>The token width D the wrapper would use.</returns>
    /// <exception cref="TensorContractException">As for the constructor.</exception>
    internal static int CheckContract(GraphSession session, int latentChannels, int latentHeight, int latentWidth, int? tokenWidth) =>
        CheckContract(new DenoiserGraph(session, "UNet"), latentChannels, latentHeight, latentWidth, tokenWidth);

    private static int CheckContract(DenoiserGraph graph, int latentChannels, int latentHeight, int latentWidth, int? tokenWidth)
    {
        var sample = graph.Sample;
        var name = graph.Session.ModelName;
        if (sample.Rank != 4 || (sample.Dimensions[1] >= 0 && sample.Dimensions[1] != latentChannels))
        {
            throw new TensorContractException($"{name}: input 'sample' is {sample.ShapeText}; a [batch, {latentChannels}, h, w] latent was asked for.", "sample");
        }

        if ((sample.Dimensions[2] >= 0 && sample.Dimensions[2] != latentHeight) || (sample.Dimensions[3] >= 0 && sample.Dimensions[3] != latentWidth))
        {
            throw new TensorContractException($"{name}: input 'sample' is {sample.ShapeText}; latents of {latentHeight}×{latentWidth} were asked for.", "sample");
        }

        return graph.TokenWidth(tokenWidth);
    }

    /// <summary>Latent channels C.</summary>
    public int LatentChannels { get; }

    /// <summary>Latent height h.</summary>
    public int LatentHeight { get; }

    /// <summary>Latent width w.</summary>
    public int LatentWidth { get; }

    /// <summary>Floats per latent, C·h·w.</summary>
    public int LatentLength => LatentChannels * LatentHeight * LatentWidth;

    /// <summary>The width D of the conditioning tokens.</summary>
    public int TokenWidth { get; }

    /// <summary>Whether the graph takes the context-to-time-embedding term (input <c>time_embedding_term</c> [batch, E]).</summary>
    public bool TakesTimeEmbeddingTerm => _graph.TimeTerm is not null;

    /// <summary>
    /// Sets the time-embedding terms of the next loop over <paramref name="batch"/> latents: <paramref name="conditional"/>
    /// (batch × E) for an unguided step, and <paramref name="unconditional"/> before it for a guided step (the
    /// unconditional half first, as the <see cref="Sampler"/> batches). Empty arrays clear them (a pooled wrapper is
    /// cleared before it is returned).
    /// </summary>
    public void SetTimeEmbeddingTerms(int batch, float[] unconditional, float[] conditional)
    {
        ArgumentNullException.ThrowIfNull(unconditional);
        ArgumentNullException.ThrowIfNull(conditional);
        _termBatch = batch;
        _conditionalTerm = conditional;
        _guidedTerms = [.. unconditional, .. conditional];
    }

    /// <summary>The timestep's element type as the graph declares it.</summary>
    public TensorElementType TimestepElementType => _graph.Timestep.ElementType;

    /// <summary>Checks, before any step runs, that the timesteps of <paramref name="scheduler"/>'s run from step <paramref name="firstIndex"/> fit the graph's <c>timestep</c> type.</summary>
    /// <exception cref="TensorContractException">The graph takes integer timesteps and the scheduler gives a fractional one.</exception>
    public void CheckTimesteps(IDiffusionScheduler scheduler, int firstIndex) => _graph.CheckTimesteps(scheduler, firstIndex);

    /// <inheritdoc />
    /// <exception cref="TensorContractException">The graph takes integer timesteps and <paramref name="timestep"/> is fractional.</exception>
    /// <exception cref="ArgumentException">A span's length does not fit the batch size, the latent shape or the token width.</exception>
    /// <exception cref="ObjectDisposedException">The UNet wrapper was disposed.</exception>
    public void Denoise(ReadOnlySpan<float> latents, int batchSize, double timestep, ReadOnlySpan<float> conditioning, Span<float> destination, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var latentFloats = batchSize * LatentLength;
        if (latents.Length != latentFloats || destination.Length != latentFloats)
        {
            throw new ArgumentException(
                $"{_graph.Session.ModelName}: {batchSize} latents of {LatentChannels}×{LatentHeight}×{LatentWidth} need {latentFloats} floats; latents has {latents.Length}, destination {destination.Length}.",
                nameof(latents));
        }

        var sequence = _graph.SequenceLength(conditioning.Length, batchSize, TokenWidth);
        ReadOnlySpan<long> shape = [batchSize, LatentChannels, LatentHeight, LatentWidth];
        ReadOnlySpan<float> term = !TakesTimeEmbeddingTerm || _conditionalTerm.Length == 0 ? []
            : batchSize == _termBatch ? _conditionalTerm
            : batchSize == 2 * _termBatch ? _guidedTerms
            : [];
        _graph.Run(shape, sequence, TokenWidth, latents, timestep, conditioning, term, destination, cancellationToken);
    }

    /// <summary>Releases the bound buffers (not the session, which belongs to the bundle). Idempotent.</summary>
    public void Dispose() => _graph.Dispose();
}
