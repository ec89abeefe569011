using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Onnx;

/// <summary>
/// One loaded graph on ONNX Runtime's <see cref="InferenceSession"/>: its declared inputs and outputs read once, the
/// execution providers it was created with (never a silent fallback), and runs whose inputs are checked against the
/// declaration before the native call, whose cancellation surfaces as <see cref="OperationCanceledException"/> and
/// whose failures surface as <see cref="OrtException"/> naming the graph.
/// </summary>
/// <remarks>
/// Thread-safety: runs may be made from many threads at once, each with its own values and run options. Disposing while
/// runs are in flight is safe: the native session is released when the last run returns. <see cref="Dispose"/> is
/// idempotent.
/// </remarks>
internal sealed class GraphSession : IDisposable
{
    private readonly InferenceSession _session;
    private readonly Dictionary<string, int> _inputIndex;
    private readonly Dictionary<string, int> _outputIndex;
    private readonly Lock _gate = new();
    private readonly bool _float16AsFloat32;

    /// <summary>
    /// The inputs bound to each binding of this session, kept only when a provider other than CPU may run nodes: such
    /// a provider copies a host input to its device when it is bound, not when the graph runs, so every run binds them
    /// again (see <see cref="Run(OrtIoBinding, RunOptions, CancellationToken)"/>).
    /// </summary>
    private readonly ConditionalWeakTable<OrtIoBinding, List<(string Name, OrtValue Value)>>? _boundInputs;
    private int _runsInFlight;
    private bool _disposeRequested;
    private bool _released;

    private GraphSession(InferenceSession session, string modelName, SessionSettings settings, IReadOnlyList<string> providers, string? fallbackReason, int intraOpThreads)
    {
        _session = session;
        IntraOpThreads = intraOpThreads;
        _float16AsFloat32 = settings.Float16AsFloat32;
        var policy = settings.ExecutionProvider;
        ModelName = modelName;
        ExecutionProviderPolicy = policy;
        ExecutionProviders = providers;
        ExecutionProviderFallbackReason = fallbackReason;
        _boundInputs = providers.Any(p => p != SessionOptionsFactory.CpuProvider) ? new() : null;
        Inputs = session.InputNames.Select(n => GraphNode.From(n, session.InputMetadata[n])).ToArray();
        Outputs = session.OutputNames.Select(n => GraphNode.From(n, session.OutputMetadata[n])).ToArray();
        _inputIndex = IndexOf(Inputs);
        _outputIndex = IndexOf(Outputs);
        Metadata = session.ModelMetadata;
    }

    /// <summary>The model file path, or the name given to <see cref="FromBytes"/>; used in every message.</summary>
    public string ModelName { get; }

    /// <summary>The graph's inputs in declaration order.</summary>
    public IReadOnlyList<GraphNode> Inputs { get; }

    /// <summary>The graph's outputs in declaration order.</summary>
    public IReadOnlyList<GraphNode> Outputs { get; }

    /// <summary>What the model file says about itself.</summary>
    public ModelMetadata Metadata { get; }

    /// <summary>The policy the session was created with.</summary>
    public ExecutionProviderPolicy ExecutionProviderPolicy { get; }

    /// <summary>
    /// The providers the library appended and ONNX Runtime loaded, in priority order, CPU last (e.g.
    /// ["CUDAExecutionProvider", "CPUExecutionProvider"]); providers an application's hook appended come before CPU as
    /// "(application hook)". Nodes a provider cannot run go to the next (CPU runs what CUDA leaves, also with
    /// <see cref="ExecutionProviderPolicy.RequireCuda"/>).
    /// </summary>
    public IReadOnlyList<string> ExecutionProviders { get; }

    /// <summary>Why the session runs on CPU although CUDA was preferred, or null when it runs where it was asked to.</summary>
    public string? ExecutionProviderFallbackReason { get; }

    /// <summary>The intra-op thread count the session was created with, after the application's hook; 0 = ONNX Runtime's choice (one per core).</summary>
    public int IntraOpThreads { get; }

    /// <summary>ONNX Runtime's session, for what this layer does not wrap; owned by this object.</summary>
    public InferenceSession Native => _session;

    /// <summary>Loads a model file.</summary>
    /// <exception cref="ModelFileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OrtException">ONNX Runtime could not load the model (not ONNX, unsupported operator, ...).</exception>
    /// <exception cref="ExecutionProviderUnavailableException">CUDA was required and could not be used.</exception>
    /// <exception cref="OnnxRuntimeLoadException">The native library could not be loaded.</exception>
    public static GraphSession Open(string modelPath, SessionSettings? settings = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        if (!File.Exists(modelPath))
        {
            throw new ModelFileNotFoundException(modelPath);
        }

        var fullPath = Path.GetFullPath(modelPath);
        return Create(modelPath, settings ?? SessionSettings.Default, logger, options => new InferenceSession(fullPath, options));
    }

    /// <summary>Loads a model from its bytes (the content of an .onnx file).</summary>
    /// <exception cref="OrtException">The bytes are not a loadable ONNX model.</exception>
    /// <exception cref="ExecutionProviderUnavailableException">CUDA was required and could not be used.</exception>
    public static GraphSession FromBytes(ReadOnlySpan<byte> model, SessionSettings? settings = null, string modelName = "model bytes", ILogger? logger = null)
    {
        var copy = model.ToArray();
        return Create(modelName, settings ?? SessionSettings.Default, logger, options => new InferenceSession(copy, options));
    }

    /// <summary>Runs the graph and returns every output, allocated by ONNX Runtime; the caller disposes the collection.</summary>
    /// <exception cref="TensorContractException">An input does not fit the graph's declaration.</exception>
    /// <exception cref="OrtException">ONNX Runtime failed during the run.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public IDisposableReadOnlyCollection<OrtValue> Run(ReadOnlySpan<NamedValue> inputs, RunOptions? runOptions = null, CancellationToken cancellationToken = default) =>
        Run(inputs, _session.OutputNames.ToArray(), runOptions, cancellationToken);

    /// <summary>Runs the graph and returns the named outputs in the order named; the caller disposes the collection.</summary>
    /// <exception cref="TensorContractException">An input does not fit, or an output name is unknown or repeated.</exception>
    /// <exception cref="OrtException">ONNX Runtime failed during the run.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public IDisposableReadOnlyCollection<OrtValue> Run(ReadOnlySpan<NamedValue> inputs, ReadOnlySpan<string> outputNames, RunOptions? runOptions = null, CancellationToken cancellationToken = default)
    {
        var outputs = outputNames.ToArray();
        for (var i = 0; i < outputs.Length; i++)
        {
            OutputSlot(outputs[i]);
            if (Array.IndexOf(outputs, outputs[i], 0, i) >= 0)
            {
                throw new TensorContractException($"{ModelName}: output '{outputs[i]}' is requested twice.", outputs[i]);
            }
        }

        var (names, values) = CheckInputs(inputs);
        using var converted = ToDeclaredTypes(names, values);
        IDisposableReadOnlyCollection<OrtValue>? result = null;
        RunCore(runOptions, cancellationToken, options => result = _session.Run(options, names, converted.ToArray(), outputs));
        return ToFloat32(result!, outputs);
    }

    /// <summary>Runs the graph writing into caller-preallocated outputs.</summary>
    /// <exception cref="TensorContractException">An input or output value does not fit the graph's declaration.</exception>
    /// <exception cref="OrtException">ONNX Runtime failed during the run (e.g. the computed shape differs from the buffer's).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public void Run(ReadOnlySpan<NamedValue> inputs, ReadOnlySpan<NamedValue> outputs, RunOptions? runOptions = null, CancellationToken cancellationToken = default)
    {
        var (outputNames, outputValues, _) = CheckNamed(outputs, isInput: false);
        var (names, values) = CheckInputs(inputs);
        using var converted = ToDeclaredTypes(names, values);
        RunCore(runOptions, cancellationToken, options => _session.Run(options, names, converted.ToArray(), outputNames, outputValues));
    }

    /// <summary>Creates an I/O binding for this session: bind inputs and outputs once, run many times with <see cref="Run(OrtIoBinding, RunOptions, CancellationToken)"/>.</summary>
    /// <exception cref="ObjectDisposedException">The session was disposed.</exception>
    public OrtIoBinding CreateIoBinding()
    {
        Enter();
        try
        {
            return OnnxErrors.Call(_session.CreateIoBinding, $"creating an I/O binding for '{ModelName}'");
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Binds <paramref name="value"/> to input or output <paramref name="name"/> of <paramref name="binding"/> after
    /// checking it against the declaration.
    /// </summary>
    /// <exception cref="TensorContractException">The name is unknown or the value does not fit.</exception>
    public void Bind(OrtIoBinding binding, string name, OrtValue value, bool isInput)
    {
        ArgumentNullException.ThrowIfNull(binding);
        Validate(name, value, isInput);
        OnnxErrors.Call(() => (isInput ? (Action<string, OrtValue>)binding.BindInput : binding.BindOutput)(name, value), $"binding {(isInput ? "input" : "output")} '{name}' of '{ModelName}'");
        if (isInput && _boundInputs is not null)
        {
            var inputs = _boundInputs.GetOrCreateValue(binding);
            lock (inputs)
            {
                inputs.RemoveAll(i => i.Name == name);
                inputs.Add((name, value));
            }
        }
    }

    /// <summary>
    /// Runs the graph on what <paramref name="binding"/> holds — the hot path: no managed allocation when the token
    /// cannot be cancelled or <paramref name="runOptions"/> is reused and the session runs on CPU alone.
    /// </summary>
    /// <remarks>
    /// With another provider (CUDA, or one an application's hook appended) a bound host input is copied to the device
    /// when it is bound, so a run after the caller rewrote the input would see the old values (measured on an H200:
    /// every denoising step saw the first step's latents). There each run binds the inputs again, waits for their
    /// copies (<c>SynchronizeBoundInputs</c>) and, after the run, for the outputs' (<c>SynchronizeBoundOutputs</c>).
    /// </remarks>
    /// <exception cref="OrtException">ONNX Runtime failed during the run.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public void Run(OrtIoBinding binding, RunOptions runOptions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(binding);
        ArgumentNullException.ThrowIfNull(runOptions);
        if (_boundInputs is null)
        {
            // A static lambda over a value-tuple state: the per-step run allocates nothing.
            RunCore(runOptions, cancellationToken, (session: _session, binding), static (options, state) => state.session.RunWithBinding(options, state.binding));
            return;
        }

        RunOnDevice(binding, _boundInputs, runOptions, cancellationToken);
    }

    /// <summary>
    /// The binding run where a device provider may run nodes: binds the kept inputs again, waits for their copies,
    /// runs, and waits for the outputs' copies. Its own method, so the CPU path's caller captures no closure.
    /// </summary>
    private void RunOnDevice(OrtIoBinding binding, ConditionalWeakTable<OrtIoBinding, List<(string Name, OrtValue Value)>> kept, RunOptions runOptions, CancellationToken cancellationToken)
    {
        kept.TryGetValue(binding, out var inputs);
        // Inside RunCore, between its Enter and Exit: the binding is only touched while the session is held alive.
        RunCore(runOptions, cancellationToken, (Session: _session, Binding: binding, Inputs: inputs), static (options, state) =>
        {
            if (state.Inputs is { } bound)
            {
                lock (bound)
                {
                    foreach (var (name, value) in bound)
                    {
                        state.Binding.BindInput(name, value);
                    }
                }
            }

            state.Binding.SynchronizeBoundInputs();
            state.Session.RunWithBinding(options, state.Binding);
            state.Binding.SynchronizeBoundOutputs();
        });
    }

    /// <summary>
    /// Checks one value against the declaration of input or output <paramref name="name"/>; returns its slot. With
    /// <paramref name="float32ForFloat16"/>, a float32 value passes for a float16 input (the run converts it).
    /// </summary>
    /// <exception cref="TensorContractException">Unknown name, not a tensor, wrong element type, rank or fixed dimension.</exception>
    public int Validate(string name, OrtValue value, bool isInput, bool float32ForFloat16 = false)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        var slot = isInput ? InputSlot(name) : OutputSlot(name);
        var declared = isInput ? Inputs[slot] : Outputs[slot];
        var role = isInput ? "input" : "output";
        if (!declared.IsTensor)
        {
            return slot;
        }

        if (!value.IsTensor)
        {
            throw new TensorContractException($"{ModelName}: {role} '{name}' expects a tensor ({declared}) but got a {value.OnnxType}.", name);
        }

        var info = value.GetTensorTypeAndShape();
        var shape = info.Shape;
        var converts = float32ForFloat16 && declared.ElementType == TensorElementType.Float16 && info.ElementDataType == TensorElementType.Float;
        if (info.ElementDataType != declared.ElementType && !converts)
        {
            throw new TensorContractException(
                $"{ModelName}: {role} '{name}' expects {ElementTypes.Name(declared.ElementType)} {declared.ShapeText} but got {ElementTypes.Name(info.ElementDataType)} {TensorShape.Format(shape)} (wrong element type).",
                name);
        }

        if (shape.Length != declared.Rank)
        {
            throw new TensorContractException(
                $"{ModelName}: {role} '{name}' expects rank {declared.Rank} {declared.ShapeText} but got rank {shape.Length} {TensorShape.Format(shape)}.",
                name);
        }

        for (var d = 0; d < shape.Length; d++)
        {
            var fixedSize = declared.Dimensions[d];
            if (fixedSize >= 0 && shape[d] != fixedSize)
            {
                throw new TensorContractException(
                    $"{ModelName}: {role} '{name}' expects shape {declared.ShapeText} but got {TensorShape.Format(shape)}: dimension {d} is {shape[d]}, the model fixes it at {fixedSize}.",
                    name);
            }
        }

        return slot;
    }

    /// <summary>Releases the native session once no run uses it any more. Idempotent.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposeRequested = true;
            if (_runsInFlight > 0 || _released)
            {
                return;
            }

            _released = true;
        }

        _session.Dispose();
    }

    /// <inheritdoc />
    public override string ToString() => $"{ModelName} ({string.Join(", ", ExecutionProviders)})";

    private static GraphSession Create(string modelName, SessionSettings settings, ILogger? logger, Func<SessionOptions, InferenceSession> open)
    {
        var log = logger ?? OnnxEnvironment.Logger;
        OnnxEnvironment.Ensure();
        var withCuda = settings.ExecutionProvider != ExecutionProviderPolicy.Cpu;
        string? fallbackReason = null;
        while (true)
        {
            var providers = new List<string>();
            using var options = SessionOptionsFactory.Create(settings, modelName);
            if (withCuda)
            {
                try
                {
                    SessionOptionsFactory.AppendCuda(options, settings);
                    providers.Add(SessionOptionsFactory.CudaProvider);
                }
                catch (OnnxRuntimeException e)
                {
                    var explanation = CudaRequirements.Explain(OnnxErrors.Split(e.Message).Message);
                    if (settings.ExecutionProvider == ExecutionProviderPolicy.RequireCuda)
                    {
                        throw new ExecutionProviderUnavailableException(SessionOptionsFactory.CudaProvider, $"{modelName}: CUDA was required (ExecutionProviderPolicy.RequireCuda) but {explanation}", e);
                    }

                    fallbackReason = $"CUDA was preferred but {explanation} The session runs on CPU.";
                    log.LogWarning("{Model}: {Reason}", modelName, fallbackReason);
                    withCuda = false;
                }
            }

            if (settings.Configure is { } configure)
            {
                try
                {
                    configure(options);
                }
                catch (OnnxRuntimeException e)
                {
                    throw OnnxErrors.Translate(e, $"the application's session hook for '{modelName}'");
                }

                providers.Add("(application hook)");
            }

            providers.Add(SessionOptionsFactory.CpuProvider);
            try
            {
                var session = open(options);
                log.LogDebug("{Model}: session created with {Providers}, {Threads} intra-op threads (0: one per core)", modelName, string.Join(", ", providers), options.IntraOpNumThreads);
                return new GraphSession(session, modelName, settings, providers, fallbackReason, options.IntraOpNumThreads);
            }
            catch (OnnxRuntimeException e)
            {
                var (code, message) = OnnxErrors.Split(e.Message);
                if (!withCuda || !OpensOnCpu(settings, modelName, open))
                {
                    // The graph itself is at fault (malformed, an operator no provider has): not a provider problem.
                    throw OnnxErrors.Translate(e, $"creating a session from '{modelName}'");
                }

                if (settings.ExecutionProvider == ExecutionProviderPolicy.RequireCuda)
                {
                    throw new ExecutionProviderUnavailableException(SessionOptionsFactory.CudaProvider, $"{modelName}: CUDA was required (ExecutionProviderPolicy.RequireCuda) but the session could not be created on it: [{code}] {message}", e);
                }

                // PreferCuda: the provider loaded but the session could not be built on it (no device, driver, cuDNN).
                fallbackReason = $"CUDA was preferred but the session could not be created on it ([{code}] {message}). The session runs on CPU.";
                log.LogWarning("{Model}: {Reason}", modelName, fallbackReason);
                withCuda = false;
            }
        }
    }

    /// <summary>Whether the graph opens on the CPU provider alone: tells a CUDA failure from a graph that no provider can run.</summary>
    private static bool OpensOnCpu(SessionSettings settings, string modelName, Func<SessionOptions, InferenceSession> open)
    {
        try
        {
            using var options = SessionOptionsFactory.Create(settings with { ExecutionProvider = ExecutionProviderPolicy.Cpu }, modelName);
            using var session = open(options);
            return true;
        }
        catch (OnnxRuntimeException)
        {
            return false;
        }
    }

    private static Dictionary<string, int> IndexOf(IReadOnlyList<GraphNode> nodes)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < nodes.Count; i++)
        {
            index[nodes[i].Name] = i;
        }

        return index;
    }

    /// <summary>Checks every value against its declaration and that no name repeats; returns the names, values and slots.</summary>
    private (string[] Names, OrtValue[] Values, int[] Slots) CheckNamed(ReadOnlySpan<NamedValue> named, bool isInput, bool float32ForFloat16 = false)
    {
        var names = new string[named.Length];
        var values = new OrtValue[named.Length];
        var slots = new int[named.Length];
        for (var i = 0; i < named.Length; i++)
        {
            slots[i] = Validate(named[i].Name, named[i].Value, isInput, float32ForFloat16);
            if (Array.IndexOf(slots, slots[i], 0, i) >= 0)
            {
                throw new TensorContractException($"{ModelName}: {(isInput ? "input" : "output")} '{named[i].Name}' is given twice.", named[i].Name);
            }

            names[i] = named[i].Name;
            values[i] = named[i].Value;
        }

        return (names, values, slots);
    }

    /// <summary>Checks the inputs (<see cref="CheckNamed"/>) and that every declared input is given.</summary>
    private (string[] Names, OrtValue[] Values) CheckInputs(ReadOnlySpan<NamedValue> inputs)
    {
        var (names, values, slots) = CheckNamed(inputs, isInput: true, float32ForFloat16: _float16AsFloat32);
        if (slots.Length != Inputs.Count)
        {
            var missing = Inputs.Where((_, slot) => !slots.Contains(slot)).ToArray();
            throw new TensorContractException(
                $"{ModelName}: missing input {string.Join(", ", missing.Select(m => $"'{m}'"))}. Given: {(names.Length == 0 ? "none" : string.Join(", ", names))}.",
                missing[0].Name);
        }

        return (names, values);
    }

    /// <summary>
    /// The inputs as the graph declares them: a float32 value for a float16 input becomes a float16 copy (the edge
    /// conversion of float16 graphs; the library's own state stays float32). The copies are disposed with the result.
    /// </summary>
    private OwnedValues ToDeclaredTypes(string[] names, OrtValue[] values)
    {
        return Converted(
            values,
            i => Inputs[_inputIndex[names[i]]].ElementType == TensorElementType.Float16 && values[i].GetTensorTypeAndShape().ElementDataType == TensorElementType.Float,
            TensorElementType.Float16,
            []);
    }

    /// <summary>
    /// The outputs as the library uses them: a float16 output is replaced by a float32 copy. The returned collection
    /// owns the run's outputs and the copies.
    /// </summary>
    private IDisposableReadOnlyCollection<OrtValue> ToFloat32(IDisposableReadOnlyCollection<OrtValue> outputs, string[] names)
    {
        if (!_float16AsFloat32 || names.All(n => Outputs[_outputIndex[n]].ElementType != TensorElementType.Float16))
        {
            return outputs;
        }

        return Converted(outputs, i => Outputs[_outputIndex[names[i]]].ElementType == TensorElementType.Float16, TensorElementType.Float, [outputs]);
    }

    /// <summary>
    /// <paramref name="values"/> with those at the indices <paramref name="convert"/> picks replaced by copies converted to
    /// <paramref name="to"/>; the result owns the copies and <paramref name="owned"/> (all of it is disposed on failure).
    /// </summary>
    private static OwnedValues Converted(IReadOnlyList<OrtValue> values, Func<int, bool> convert, TensorElementType to, List<IDisposable> owned)
    {
        var result = new OrtValue[values.Count];
        try
        {
            for (var i = 0; i < result.Length; i++)
            {
                result[i] = values[i];
                if (convert(i))
                {
                    result[i] = AlignedTensor.ConvertFloat(values[i], to);
                    owned.Add(result[i]);
                }
            }

            return new OwnedValues(result, owned);
        }
        catch
        {
            owned.ForEach(o => o.Dispose());
            throw;
        }
    }

    /// <summary>One run with run options (the caller's, or new ones when a token needs them), cancellation and error translation.</summary>
    private void RunCore(RunOptions? runOptions, CancellationToken cancellationToken, Action<RunOptions> run) =>
        RunCore(runOptions, cancellationToken, run, static (options, action) => action(options));

    /// <summary>The same, with the run's state passed through so that a static lambda needs no closure.</summary>
    private void RunCore<TState>(RunOptions? runOptions, CancellationToken cancellationToken, TState state, Action<RunOptions, TState> run)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Enter();
        var owned = runOptions is null ? new RunOptions() : null;
        try
        {
            var options = runOptions ?? owned!;
            var cancellation = new RunCancellation(options, cancellationToken);
            try
            {
                run(options, state);
                cancellation.Complete(ModelName);
            }
            catch (OnnxRuntimeException e)
            {
                cancellation.Fail(e, ModelName);
                throw OnnxErrors.Translate(e, $"running '{ModelName}'");
            }
            finally
            {
                cancellation.Dispose();
            }
        }
        finally
        {
            owned?.Dispose();
            Exit();
        }
    }

    private void Enter()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposeRequested, this);
            _runsInFlight++;
        }
    }

    private void Exit()
    {
        lock (_gate)
        {
            _runsInFlight--;
            if (_runsInFlight > 0 || !_disposeRequested || _released)
            {
                return;
            }

            _released = true;
        }

        _session.Dispose();
    }

    private int InputSlot(string name) =>
        _inputIndex.TryGetValue(name, out var slot)
            ? slot
            : throw new TensorContractException($"{ModelName} has no input named '{name}'. Its inputs: {string.Join(", ", Inputs)}.", name);

    private int OutputSlot(string name) =>
        _outputIndex.TryGetValue(name, out var slot)
            ? slot
            : throw new TensorContractException($"{ModelName} has no output named '{name}'. Its outputs: {string.Join(", ", Outputs)}.", name);
}
