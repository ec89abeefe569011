using FmriToImage.Diffusion;
using FmriToImage.Onnx;

namespace FmriToImage.Models;

/// <summary>
/// A diffusion prior export (MindEye's step between the brain and the UNet): inputs <c>sample</c> [batch, T, D]
/// (noisy image tokens), <c>timestep</c> and <c>encoder_hidden_states</c> [batch, T, D] (the brain tokens, the
/// high-level voxel encoder's <c>image_tokens</c>), output <c>out_sample</c> [batch, T, D] — what its scheduler config's
/// <c>prediction_type</c> says (x₀ for MindEye's DALL·E 2 prior: <c>"sample"</c>). <see cref="Sample"/> runs the prior
/// loop; as an <see cref="IDenoiser"/> it is one step of it.
/// </summary>
/// <remarks>
/// <para>
/// The loop (docs/pipelines.md): from Gaussian noise, <c>steps</c> DDIM steps of the prior's own scheduler
/// (<c>prior/scheduler_config.json</c>), conditioned on the brain tokens, without classifier-free guidance (MindEye
/// samples its prior with <c>cond_scale</c> 1). The timestep's element type and rank are read from the graph.
/// </para>
/// <para>
/// Bindings are made once per batch size over 64-byte aligned buffers, so a step allocates nothing and equal inputs
/// give equal bits. Not thread-safe: use one per concurrent loop (the session, which belongs to the bundle, is shared).
/// </para>
/// </remarks>
internal sealed class DiffusionPrior : IDenoiser, IDisposable
{
    private readonly DenoiserGraph _graph;

    /// <summary>Wraps a prior session.</summary>
    /// <param name="session">The prior session (not owned).</param>
    /// <param name="schedulerConfig">The prior's scheduler (<c>prior/scheduler_config.json</c>).</param>
    /// <param name="tokenWidth">D, used when the graph does not fix it; must agree with the graph when both give it.</param>
    /// <exception cref="TensorContractException">An input or output of the contract is missing, is not rank 3, or the token width is unknown or disagrees.</exception>
    internal DiffusionPrior(GraphSession session, DdimSchedulerConfig schedulerConfig, int? tokenWidth = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        SchedulerConfig = schedulerConfig ?? throw new ArgumentNullException(nameof(schedulerConfig));
        _graph = new DenoiserGraph(session, "diffusion prior");
        TokenWidth = CheckContract(_graph, tokenWidth);
        TokenCount = _graph.Sample.Dimensions[1] >= 0 ? (int)_graph.Sample.Dimensions[1] : null;
        // The contract lets each input fix its batch axis at 1 on its own; any one of them limits a run to one element.
        MaxBatch = new[] { _graph.Sample, _graph.Timestep, _graph.Context, _graph.Output }.Min(BatchAxis.Limit);
    }

    /// <summary>Checks a prior graph's contract from its session's metadata alone (no wrapper, no buffer), as the constructor does.</summary>
    /// <returns>The token width D the wrapper would use.</returns>
    /// <exception cref="TensorContractException">As for the constructor.</exception>
    internal static int CheckContract(GraphSession session, int? tokenWidth) => CheckContract(new DenoiserGraph(session, "diffusion prior"), tokenWidth);

    private static int CheckContract(DenoiserGraph graph, int? tokenWidth)
    {
        foreach (var node in new[] { graph.Sample, graph.Context, graph.Output })
        {
            if (node.Rank != 3)
            {
                throw new TensorContractException($"{graph.Session.ModelName}: '{node.Name}' is {node.ShapeText}; the prior works on image tokens [batch, T, D].", node.Name);
            }
        }

        return graph.TokenWidth(tokenWidth);
    }

    /// <summary>The prior's scheduler configuration.</summary>
    public DdimSchedulerConfig SchedulerConfig { get; }

    /// <summary>The token width D.</summary>
    public int TokenWidth { get; }

    /// <summary>The token count T when the graph fixes it, else null (any T the brain tokens have).</summary>
    public int? TokenCount { get; }

    /// <summary>The most batch elements one run takes: 1 when any input or output of the export fixes its batch axis at 1, else <see cref="int.MaxValue"/>.</summary>
    public int MaxBatch { get; }

    /// <summary>
    /// Runs the prior loop for <paramref name="batch"/> elements: from Gaussian noise (element k's from
    /// <paramref name="noise"/>[k]), <paramref name="steps"/> DDIM steps with η = <paramref name="eta"/>, each conditioned on its
    /// brain tokens, no guidance. One batched run when the graph allows it, else element by element — the same numbers
    /// either way, since each element draws only from its own stream.
    /// </summary>
    /// <param name="brainTokens">batch × T × D floats.</param>
    /// <param name="batch">The number of elements.</param>
    /// <param name="steps">DDIM steps, 1 … the prior's <c>num_train_timesteps</c>.</param>
    /// <param name="eta">DDIM η ≥ 0 (0: deterministic given the initial noise).</param>
    /// <param name="noise">One stream per element.</param>
    /// <param name="cancellationToken">Checked before every step and handed to each run.</param>
    /// <returns>The denoised image tokens, batch × T × D floats.</returns>
    /// <exception cref="ArgumentException">The tokens do not split into <paramref name="batch"/> blocks of whole D-wide tokens (of the graph's T when it fixes it), or the stream count is not <paramref name="batch"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="steps"/> or <paramref name="eta"/> is out of range.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    /// <exception cref="ObjectDisposedException">The prior was disposed.</exception>
    public float[] Sample(ReadOnlyMemory<float> brainTokens, int batch, int steps, float eta, IReadOnlyList<INoiseSource> noise, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        if (noise.Count != batch)
        {
            throw new ArgumentException($"{_graph.Session.ModelName}: {noise.Count} noise streams for {batch} elements; the prior needs one per element.", nameof(noise));
        }

        var tokens = _graph.SequenceLength(brainTokens.Length, batch, TokenWidth);
        if (TokenCount is { } fixedCount && tokens != fixedCount)
        {
            throw new ArgumentException($"{_graph.Session.ModelName}: the brain tokens are {tokens}×{TokenWidth} per element but the prior's 'sample' {_graph.Sample.ShapeText} fixes {fixedCount} tokens.", nameof(brainTokens));
        }

        var perElement = tokens * TokenWidth;
        var result = new float[batch * perElement];
        var sampler = new Sampler(new DdimScheduler(SchedulerConfig), this);
        foreach (var (start, count) in BatchAxis.Slices(batch, MaxBatch))
        {
            var request = new DiffusionRequest
            {
                BatchSize = count,
                LatentLength = perElement,
                Noise = count == 1 ? noise[start] : new BatchedNoiseSource(noise.Skip(start).Take(count).ToArray()),
                Conditioning = brainTokens.Slice(start * perElement, count * perElement),
                GuidanceScale = 1,
                NumInferenceSteps = steps,
                Eta = eta,
            };
            sampler.Sample(request, result.AsSpan(start * perElement, count * perElement), cancellationToken: cancellationToken);
        }

        return result;
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The noisy and the brain tokens differ in length, or do not split into <paramref name="batchSize"/> blocks of whole D-wide tokens.</exception>
    public void Denoise(ReadOnlySpan<float> latents, int batchSize, double timestep, ReadOnlySpan<float> conditioning, Span<float> destination, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        if (latents.Length != conditioning.Length || destination.Length != latents.Length)
        {
            throw new ArgumentException(
                $"{_graph.Session.ModelName}: the noisy tokens ({latents.Length} floats), the brain tokens ({conditioning.Length}) and the destination ({destination.Length}) must have one shape [batch, T, D].",
                nameof(latents));
        }

        var tokens = _graph.SequenceLength(conditioning.Length, batchSize, TokenWidth);
        ReadOnlySpan<long> shape = [batchSize, tokens, TokenWidth];
        _graph.Run(shape, tokens, TokenWidth, latents, timestep, conditioning, destination, cancellationToken);
    }

    /// <summary>Releases the bound buffers (not the session, which belongs to the bundle). Idempotent.</summary>
    public void Dispose() => _graph.Dispose();
}
