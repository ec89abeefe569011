using System.Globalization;
using FmriToImage.Diffusion;
using FmriToImage.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Models;

/// <summary>
/// The graph contract the UNet and the diffusion prior share — inputs <c>sample</c>, <c>timestep</c>,
/// <c>encoder_hidden_states</c>, output <c>out_sample</c> — run through bindings made once per (batch, sequence)
/// shape over 64-byte aligned buffers (<see cref="BoundTensor"/>), so a step copies in, runs and copies out without
/// allocating, and the same numbers give the same bits on every call.
/// </summary>
/// <remarks>
/// The element types of all four (float32 or float16) and the timestep's type and rank (a scalar or one value per
/// batch element; float, float16, int64 or int32) are read from the graph. Not thread-safe: one sampler drives it.
/// The session belongs to the bundle, the bindings to this object.
/// </remarks>
internal sealed class DenoiserGraph : IDisposable
{
    /// <summary>
    /// The most (batch, sequence) shapes whose bound buffers are kept: a pooled wrapper lives as long as its decoder, so
    /// requests of ever new sample counts or batch sizes must not grow its pinned buffers without bound; beyond this the
    /// oldest shape's buffers are released (a loop uses one or two shapes, so steady state never evicts).
    /// </summary>
    internal const int MaxKeptShapes = 4;

    private readonly Dictionary<(int Batch, int Sequence), Binding> _bindings = [];
    private readonly Queue<(int Batch, int Sequence)> _shapesByAge = new();

    /// <summary>How many shapes' bound buffers are held now (at most <see cref="MaxKeptShapes"/>).</summary>
    internal int KeptShapes => _bindings.Count;
    private readonly string _kind;

    /// <summary><see cref="Added"/>'s inputs, listed once (a step reads them without allocating).</summary>
    private readonly (string Name, int Width)[] _addedInputs;
    private bool _disposed;

    /// <summary>Finds the contract's inputs and output in <paramref name="session"/>.</summary>
    /// <param name="session">The graph (not owned).</param>
    /// <param name="kind">What the graph is, for messages ("UNet", "diffusion prior").</param>
    /// <param name="added">The UNet's added-condition inputs (<see cref="UNetAddedInputs"/>), bound beside the others; none by default.</param>
    /// <exception cref="TensorContractException">An input or output of the contract is missing.</exception>
    public DenoiserGraph(GraphSession session, string kind, UNetAddedInputs? added = null)
    {
        Added = added ?? UNetAddedInputs.None;
        _addedInputs = [.. Added.Inputs];
        Session = session ?? throw new ArgumentNullException(nameof(session));
        _kind = kind;
        Sample = Node(session.Inputs, "sample", kind);
        Timestep = Node(session.Inputs, "timestep", kind);
        Context = Node(session.Inputs, "encoder_hidden_states", kind);
        Output = Node(session.Outputs, "out_sample", kind);
    }

    public GraphSession Session { get; }

    public GraphNode Sample { get; }

    public GraphNode Timestep { get; }

    public GraphNode Context { get; }

    public GraphNode Output { get; }

    /// <summary>The added-condition inputs bound beside the contract's three (none for the prior).</summary>
    public UNetAddedInputs Added { get; }

    /// <summary>Whether the graph's <c>timestep</c> is an integer tensor (int64 or int32), which cannot take a fractional timestep.</summary>
    public bool TakesIntegerTimesteps => Timestep.ElementType is TensorElementType.Int64 or TensorElementType.Int32;

    /// <summary>
    /// Checks, before any network runs, that every timestep <paramref name="scheduler"/> gives from step
    /// <paramref name="firstIndex"/> on (after its <see cref="IDiffusionScheduler.SetTimesteps"/>) fits the graph's
    /// <c>timestep</c> type: an integer graph cannot take a fractional one, and it is never rounded.
    /// </summary>
    /// <exception cref="TensorContractException">A fractional timestep meets an integer <c>timestep</c> input; the message names both.</exception>
    public void CheckTimesteps(IDiffusionScheduler scheduler, int firstIndex)
    {
        ArgumentNullException.ThrowIfNull(scheduler);
        if (!TakesIntegerTimesteps)
        {
            return;
        }

        for (var i = firstIndex; i < scheduler.StepCount; i++)
        {
            var t = scheduler.ModelTimestep(i);
            if (t != Math.Round(t))
            {
                throw FractionalTimestep(t, string.Create(CultureInfo.InvariantCulture, $"{scheduler.ClassName} gives at step {i} of {scheduler.StepCount}"));
            }
        }
    }

    /// <summary>
    /// One run: <paramref name="sample"/> (shape <paramref name="sampleShape"/>) and <paramref name="context"/>
    /// [batch, sequence, tokenWidth] in, the prediction out into <paramref name="destination"/>.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The wrapper was disposed (a new binding would never be released).</exception>
    /// <exception cref="InvalidOperationException">The graph takes added conditions and <paramref name="added"/> lacks one or is for another batch size.</exception>
    public void Run(ReadOnlySpan<long> sampleShape, int sequence, int tokenWidth, ReadOnlySpan<float> sample, double timestep, ReadOnlySpan<float> context, Span<float> destination, CancellationToken cancellationToken, AddedConditions? added = null)
    {
        if (_disposed)
        {
            throw new ObjectDisposedException(_kind, $"This {_kind} wrapper was disposed; create a new one to run the graph.");
        }

        if (TakesIntegerTimesteps && timestep != Math.Round(timestep))
        {
            throw FractionalTimestep(timestep, "the sampler passed");
        }

        var batch = (int)sampleShape[0];
        if (!_bindings.TryGetValue((batch, sequence), out var binding))
        {
            if (_bindings.Count >= MaxKeptShapes && _shapesByAge.TryDequeue(out var oldest) && _bindings.Remove(oldest, out var evicted))
            {
                evicted.Dispose();
            }

            binding = new Binding(this, sampleShape, sequence, tokenWidth, added);
            _bindings[(batch, sequence)] = binding;
            _shapesByAge.Enqueue((batch, sequence));
        }

        binding.Sample.Write(sample);
        binding.Context.Write(context);
        binding.Timestep.Fill(timestep);
        WriteAdded(binding, batch, added);
        Session.Run(binding.IoBinding, binding.RunOptions, cancellationToken);
        binding.Output.Read(destination);
    }

    /// <summary>
    /// The conditioning token width D: what <c>encoder_hidden_states</c> fixes, else <paramref name="given"/> (e.g. a
    /// config's <c>cross_attention_dim</c>); both must agree when both exist.
    /// </summary>
    /// <exception cref="TensorContractException">They disagree, or neither gives the width.</exception>
    public int TokenWidth(int? given)
    {
        var fixedWidth = Context.Rank == 3 && Context.Dimensions[2] >= 0 ? (int?)Context.Dimensions[2] : null;
        if (fixedWidth is not null && given is not null && fixedWidth != given)
        {
            throw new TensorContractException($"{Session.ModelName}: input 'encoder_hidden_states' {Context.ShapeText} fixes the token width at {fixedWidth}, not {given}.", "encoder_hidden_states");
        }

        return fixedWidth ?? given
            ?? throw new TensorContractException($"{Session.ModelName}: input 'encoder_hidden_states' {Context.ShapeText} does not fix its token width and none was given (the UNet config's cross_attention_dim).", "encoder_hidden_states");
    }

    /// <summary>Tokens per batch element in <paramref name="conditioningLength"/> floats of <paramref name="tokenWidth"/>-wide tokens.</summary>
    /// <exception cref="ArgumentException">The floats do not split into that many whole blocks of tokens.</exception>
    public int SequenceLength(int conditioningLength, int batchSize, int tokenWidth)
    {
        var perSample = conditioningLength / batchSize;
        if (conditioningLength % batchSize != 0 || perSample == 0)
        {
            throw new ArgumentException($"{Session.ModelName}: the conditioning has {conditioningLength} floats, which is not {batchSize} equal non-empty blocks (one per batch element).", nameof(conditioningLength));
        }

        if (perSample % tokenWidth != 0)
        {
            throw new ArgumentException($"{Session.ModelName}: each conditioning block has {perSample} floats, not a whole number of {tokenWidth}-wide tokens (input 'encoder_hidden_states' {Context.ShapeText}).", nameof(conditioningLength));
        }

        return perSample / tokenWidth;
    }

    /// <summary>Releases the bound buffers (not the session). Idempotent.</summary>
    public void Dispose()
    {
        _disposed = true;
        foreach (var binding in _bindings.Values)
        {
            binding.Dispose();
        }

        _bindings.Clear();
        _shapesByAge.Clear();
    }

    /// <summary>
    /// Writes the added conditions into their bound buffers: [unconditional ‖ conditional] rows for a guided batch (twice
    /// the loop's), the conditional rows otherwise — the order the sampler batches the latents in. Allocates nothing.
    /// </summary>
    private void WriteAdded(Binding binding, int batch, AddedConditions? added)
    {
        for (var k = 0; k < binding.Added.Length; k++)
        {
            var name = _addedInputs[k].Name;
            var width = binding.AddedWidths[k];
            if (added is null || !added.TryGet(name, out var conditional, out var unconditional))
            {
                throw new InvalidOperationException($"{Session.ModelName}: the {_kind} takes '{name}', but no value for it was given for this loop.");
            }

            // The rows must be the bound width (a dynamic width is fixed when the binding is made) and the loop's batch.
            var rows = added.BatchSize;
            if (conditional.Length != rows * width || (batch != rows && batch != 2 * rows))
            {
                throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"{Session.ModelName}: '{name}' has {conditional.Length} values for {rows} rows; the binding takes {width} per row, for a batch of {batch}."));
            }

            var tensor = binding.Added[k];
            if (batch == rows)
            {
                tensor.Write(conditional);
            }
            else
            {
                tensor.Write(unconditional);
                tensor.Write(conditional, unconditional.Length);
            }
        }
    }

    /// <summary>The row width of the values given for an added input whose width the graph leaves dynamic.</summary>
    private int GivenWidth(string name, AddedConditions? added) =>
        added is not null && added.TryGet(name, out var conditional, out _) && conditional.Length % added.BatchSize == 0
            ? conditional.Length / added.BatchSize
            : throw new InvalidOperationException($"{Session.ModelName}: the {_kind} takes '{name}', but no value for it was given for this loop.");

    private TensorContractException FractionalTimestep(double timestep, string source) =>
        new(string.Create(CultureInfo.InvariantCulture,
                $"{Session.ModelName}: the {_kind}'s input 'timestep' is {Timestep.ElementType} (integer timesteps), but {source} the fractional timestep {timestep}; it is never rounded. Use a scheduler config with integer timesteps (DDIM, PNDM, SgmEulerEDMScheduler, or EulerDiscreteScheduler with timestep_spacing \"leading\" or \"trailing\" and no Karras sigmas) or a {_kind} export whose 'timestep' is float."),
            "timestep");

    private static GraphNode Node(IReadOnlyList<GraphNode> nodes, string name, string kind) =>
        nodes.FirstOrDefault(n => n.Name == name)
        ?? throw new TensorContractException($"The {kind} graph has no '{name}'; it has: {string.Join(", ", nodes)}.", name);

    /// <summary>The bound buffers for one (batch, sequence) shape.</summary>
    private sealed class Binding : IDisposable
    {
        public Binding(DenoiserGraph owner, ReadOnlySpan<long> sampleShape, int sequence, int tokenWidth, AddedConditions? added)
        {
            var batch = sampleShape[0];
            try
            {
                Sample = BoundTensor.Create(owner.Sample.ElementType, sampleShape);
                Output = BoundTensor.Create(owner.Output.ElementType, sampleShape);
                Timestep = BoundTensor.Create(owner.Timestep.ElementType, owner.Timestep.Rank == 0 ? [] : [batch]);
                Context = BoundTensor.Create(owner.Context.ElementType, [batch, sequence, tokenWidth]);
                var inputs = owner._addedInputs;
                Added = new BoundTensor[inputs.Length];
                AddedWidths = new int[inputs.Length];
                for (var k = 0; k < inputs.Length; k++)
                {
                    var node = owner.Session.Inputs.First(i => i.Name == inputs[k].Name);
                    AddedWidths[k] = inputs[k].Width > 0 ? inputs[k].Width : owner.GivenWidth(inputs[k].Name, added);
                    Added[k] = BoundTensor.Create(node.ElementType, [batch, AddedWidths[k]]);
                }

                RunOptions = new RunOptions();
                IoBinding = owner.Session.CreateIoBinding();
                owner.Session.Bind(IoBinding, "sample", Sample.Value, isInput: true);
                owner.Session.Bind(IoBinding, "timestep", Timestep.Value, isInput: true);
                owner.Session.Bind(IoBinding, "encoder_hidden_states", Context.Value, isInput: true);
                for (var k = 0; k < inputs.Length; k++)
                {
                    owner.Session.Bind(IoBinding, inputs[k].Name, Added[k].Value, isInput: true);
                }

                owner.Session.Bind(IoBinding, "out_sample", Output.Value, isInput: false);
            }
            catch
            {
                // What was created so far has no other owner: release it before the failure propagates.
                Dispose();
                throw;
            }
        }

        public BoundTensor Sample { get; }

        public BoundTensor Timestep { get; }

        public BoundTensor Context { get; }

        public BoundTensor Output { get; }

        /// <summary>The added-condition inputs' buffers, in <see cref="UNetAddedInputs.Inputs"/> order.</summary>
        public BoundTensor[] Added { get; } = [];

        /// <summary>Each added input's bound width (the graph's, or the given values' for a dynamic width).</summary>
        public int[] AddedWidths { get; } = [];

        public OrtIoBinding IoBinding { get; }

        /// <summary>Reused by every step, so a cancellable token costs no native object per step.</summary>
        public RunOptions RunOptions { get; }

        /// <summary>Releases the binding and buffers; also called on a half-built binding, whose missing parts are null.</summary>
        public void Dispose()
        {
            IoBinding?.Dispose();
            RunOptions?.Dispose();
            Sample?.Dispose();
            Timestep?.Dispose();
            Context?.Dispose();
            Output?.Dispose();
            foreach (var tensor in Added)
            {
                tensor?.Dispose();
            }
        }
    }
}
