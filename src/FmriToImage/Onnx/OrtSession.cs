using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace FmriToImage.Onnx;

/// <summary>
/// A loaded ONNX model ready to run: its declared inputs and outputs, its metadata, the execution providers that
/// actually run its nodes, and <c>Run</c> in three forms — into values ONNX Runtime allocates, into caller-preallocated
/// values, and through an <see cref="OrtIoBinding"/>.
/// </summary>
/// <remarks>
/// <para>
/// Every input is checked against the model's declaration before the native call: unknown, missing or repeated
/// names, element type, rank and fixed dimensions raise <see cref="TensorContractException"/> naming the model, the
/// input, the expected and the actual value.
/// </para>
/// <para>
/// Thread-safety: <c>Run</c> may be called from many threads at once on one session, each call with its own values
/// (and its own <see cref="OrtRunOptions"/>, if any). Disposing while runs are in flight is safe: the native session
/// is released when the last run returns. Owns one native <c>OrtSession</c>; <see cref="Dispose"/> is idempotent.
/// </para>
/// </remarks>
public sealed unsafe class OrtSession : IDisposable
{
    private const string CudaProvider = "CUDAExecutionProvider";
    private const string CpuProvider = "CPUExecutionProvider";

    private readonly OrtHandle handle;
    private readonly string ownerName;
    private readonly Dictionary<string, int> inputIndex;
    private readonly Dictionary<string, int> outputIndex;
    private readonly byte[] inputNameBlock;
    private readonly int[] inputNameOffsets;
    private readonly byte[] outputNameBlock;
    private readonly int[] outputNameOffsets;

    private OrtSession(nint pointer, string modelName, ExecutionProviderPolicy policy, string? fallbackReason)
    {
        handle = new OrtHandle(pointer, OrtApi.ReleaseSession);
        ModelName = modelName;
        ownerName = $"OrtSession '{modelName}'";
        ExecutionProviderPolicy = policy;
        Inputs = ReadNodes(pointer, isInput: true);
        Outputs = ReadNodes(pointer, isInput: false);
        inputIndex = IndexOf(Inputs);
        outputIndex = IndexOf(Outputs);
        (inputNameBlock, inputNameOffsets) = NativeText.PinnedUtf8Block(Inputs.Select(n => n.Name).ToArray());
        (outputNameBlock, outputNameOffsets) = NativeText.PinnedUtf8Block(Outputs.Select(n => n.Name).ToArray());
        Metadata = ReadMetadata(pointer);
        NodeCountByExecutionProvider = ReadAssignment(pointer);
        ExecutionProviders = NodeCountByExecutionProvider.Keys.ToArray();
        ExecutionProviderFallbackReason = fallbackReason
            ?? (policy == ExecutionProviderPolicy.PreferCuda && !NodeCountByExecutionProvider.ContainsKey(CudaProvider)
                ? $"CUDA was preferred and its provider loaded, but ONNX Runtime assigned no node to it; the session runs on {string.Join(", ", ExecutionProviders)}."
                : null);
    }

    /// <summary>The model file path, or the name given to <see cref="FromBytes"/>; used in every message.</summary>
    public string ModelName { get; }

    /// <summary>The model's inputs in declaration order.</summary>
    public IReadOnlyList<OrtNodeInfo> Inputs { get; }

    /// <summary>The model's outputs in declaration order.</summary>
    public IReadOnlyList<OrtNodeInfo> Outputs { get; }

    /// <summary>What the model file says about itself.</summary>
    public OrtModelMetadata Metadata { get; }

    /// <summary>The policy the session was created with.</summary>
    public ExecutionProviderPolicy ExecutionProviderPolicy { get; }

    /// <summary>
    /// The execution providers that run at least one node of this model, e.g. ["CPUExecutionProvider"], as ONNX Runtime
    /// reports its graph assignment.
    /// </summary>
    public IReadOnlyList<string> ExecutionProviders { get; }

    /// <summary>How many graph nodes each execution provider runs.</summary>
    public IReadOnlyDictionary<string, int> NodeCountByExecutionProvider { get; }

    /// <summary>
    /// Why the session runs on CPU although CUDA was preferred (<see cref="ExecutionProviderPolicy.PreferCuda"/>), or
    /// null when it runs where it was asked to.
    /// </summary>
    public string? ExecutionProviderFallbackReason { get; }

    /// <summary>Loads a model file.</summary>
    /// <param name="modelPath">The .onnx file.</param>
    /// <param name="options">Session options, or null for <see cref="OrtSessionOptions.Default"/>.</param>
    /// <param name="logger">Where the session reports its execution provider choice (null: <see cref="OnnxRuntime.Logger"/>).</param>
    /// <returns>A session the caller disposes.</returns>
    /// <exception cref="ModelFileNotFoundException">The file does not exist.</exception>
    /// <exception cref="OrtException">ONNX Runtime could not load the model (not ONNX, unsupported operator, ...).</exception>
    /// <exception cref="ExecutionProviderUnavailableException">CUDA was required and could not be used.</exception>
    /// <exception cref="OnnxRuntimeLoadException">The native library could not be loaded.</exception>
    public static OrtSession Open(string modelPath, OrtSessionOptions? options = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        if (!File.Exists(modelPath))
        {
            throw new ModelFileNotFoundException(modelPath);
        }

        var fullPath = Path.GetFullPath(modelPath);
        return Create(modelPath, options ?? OrtSessionOptions.Default, logger, (environment, sessionOptions, session) =>
        {
            if (OperatingSystem.IsWindows())
            {
                fixed (char* path = fullPath)
                {
                    return OrtApi.CreateSession(environment, path, sessionOptions, session);
                }
            }

            fixed (byte* path = NativeText.Utf8(fullPath))
            {
                return OrtApi.CreateSession(environment, path, sessionOptions, session);
            }
        });
    }

    /// <summary>Loads a model from its bytes (the content of an .onnx file).</summary>
    /// <param name="model">The serialized model; copied by ONNX Runtime during the call.</param>
    /// <param name="options">Session options, or null for <see cref="OrtSessionOptions.Default"/>.</param>
    /// <param name="modelName">A name for messages and logs.</param>
    /// <param name="logger">Where the session reports its execution provider choice (null: <see cref="OnnxRuntime.Logger"/>).</param>
    /// <returns>A session the caller disposes.</returns>
    /// <exception cref="OrtException">The bytes are not a loadable ONNX model.</exception>
    /// <exception cref="ExecutionProviderUnavailableException">CUDA was required and could not be used.</exception>
    public static OrtSession FromBytes(ReadOnlySpan<byte> model, OrtSessionOptions? options = null, string modelName = "model bytes", ILogger? logger = null)
    {
        var copy = model.ToArray();
        return Create(modelName, options ?? OrtSessionOptions.Default, logger, (environment, sessionOptions, session) =>
        {
            fixed (byte* data = copy)
            {
                return OrtApi.CreateSessionFromArray(environment, data, (nuint)copy.Length, sessionOptions, session);
            }
        });
    }

    /// <summary>Runs the model and returns every output, allocated by ONNX Runtime.</summary>
    /// <param name="inputs">One value per model input.</param>
    /// <param name="runOptions">Run options, or null.</param>
    /// <param name="cancellationToken">Stops the run in flight (through the run options' terminate flag).</param>
    /// <returns>The outputs in declaration order; the caller disposes the list.</returns>
    /// <exception cref="TensorContractException">An input does not fit the model's declaration.</exception>
    /// <exception cref="OrtException">ONNX Runtime failed during the run.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public OrtValueList Run(ReadOnlySpan<NamedOrtValue> inputs, OrtRunOptions? runOptions = null, CancellationToken cancellationToken = default)
    {
        var names = new string[Outputs.Count];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = Outputs[i].Name;
        }

        return Run(inputs, names, runOptions, cancellationToken);
    }

    /// <summary>Runs the model and returns the named outputs, allocated by ONNX Runtime.</summary>
    /// <param name="inputs">One value per model input.</param>
    /// <param name="outputNames">The outputs wanted, in the order wanted.</param>
    /// <param name="runOptions">Run options, or null.</param>
    /// <param name="cancellationToken">Stops the run in flight.</param>
    /// <returns>The outputs in the order named; the caller disposes the list.</returns>
    /// <exception cref="TensorContractException">An input does not fit, or an output name is unknown.</exception>
    /// <exception cref="OrtException">ONNX Runtime failed during the run.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public OrtValueList Run(ReadOnlySpan<NamedOrtValue> inputs, ReadOnlySpan<string> outputNames, OrtRunOptions? runOptions = null, CancellationToken cancellationToken = default)
    {
        Span<int> outputSlots = outputNames.Length <= 64 ? stackalloc int[outputNames.Length] : new int[outputNames.Length];
        for (var i = 0; i < outputNames.Length; i++)
        {
            outputSlots[i] = OutputSlot(outputNames[i]);
            for (var j = 0; j < i; j++)
            {
                if (outputSlots[j] == outputSlots[i])
                {
                    throw new TensorContractException($"{ModelName}: output '{outputNames[i]}' is requested twice.", outputNames[i]);
                }
            }
        }

        var produced = new nint[outputNames.Length];
        RunCore(inputs, outputSlots, produced, runOptions, cancellationToken);

        var values = new OrtValue[produced.Length];
        for (var i = 0; i < produced.Length; i++)
        {
            values[i] = OrtValue.FromOwnedPointer(produced[i]);
        }

        return new OrtValueList(outputNames.ToArray(), values);
    }

    /// <summary>Runs the model writing into caller-preallocated outputs (no output allocation).</summary>
    /// <param name="inputs">One value per model input.</param>
    /// <param name="outputs">The outputs wanted, each with a value of the right type and shape to write into.</param>
    /// <param name="runOptions">Run options, or null.</param>
    /// <param name="cancellationToken">Stops the run in flight.</param>
    /// <exception cref="TensorContractException">An input or output value does not fit the model's declaration.</exception>
    /// <exception cref="OrtException">ONNX Runtime failed during the run (e.g. the computed shape differs from the buffer's).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public void Run(ReadOnlySpan<NamedOrtValue> inputs, ReadOnlySpan<NamedOrtValue> outputs, OrtRunOptions? runOptions = null, CancellationToken cancellationToken = default)
    {
        Span<int> outputSlots = outputs.Length <= 64 ? stackalloc int[outputs.Length] : new int[outputs.Length];
        ValidateNamed(outputs, isInput: false, outputSlots);
        var pointers = outputs.Length <= 64 ? stackalloc nint[outputs.Length] : new nint[outputs.Length];
        var leased = 0;
        try
        {
            for (; leased < outputs.Length; leased++)
            {
                pointers[leased] = outputs[leased].Value.AddRef();
            }

            RunCore(inputs, outputSlots, pointers, runOptions, cancellationToken);
        }
        finally
        {
            for (var i = 0; i < leased; i++)
            {
                outputs[i].Value.Release();
            }
        }
    }

    /// <summary>Creates an I/O binding for this session: bind inputs and outputs once, run many times.</summary>
    /// <returns>A binding the caller disposes.</returns>
    /// <exception cref="ObjectDisposedException">The session was disposed.</exception>
    public OrtIoBinding CreateIoBinding()
    {
        using var lease = Acquire();
        nint pointer;
        OrtApi.Check(OrtApi.CreateIoBinding(lease.Pointer, &pointer), $"creating an I/O binding for '{ModelName}'");
        return new OrtIoBinding(this, pointer);
    }

    /// <summary>Runs the model on the inputs and outputs bound in <paramref name="binding"/>.</summary>
    /// <param name="binding">A binding created by this session.</param>
    /// <param name="runOptions">Run options, or null.</param>
    /// <param name="cancellationToken">Stops the run in flight.</param>
    /// <exception cref="ArgumentException">The binding belongs to another session.</exception>
    /// <exception cref="OrtException">ONNX Runtime failed during the run.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public void Run(OrtIoBinding binding, OrtRunOptions? runOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(binding);
        if (!ReferenceEquals(binding.Session, this))
        {
            throw new ArgumentException($"The binding was created by session '{binding.Session.ModelName}', not by '{ModelName}'.", nameof(binding));
        }

        cancellationToken.ThrowIfCancellationRequested();
        using var session = Acquire();
        using var bound = binding.Acquire();
        using var cancellation = new RunCancellation(runOptions, cancellationToken);
        var status = OrtApi.RunWithBinding(session.Pointer, cancellation.RunOptionsPointer, bound.Pointer);
        cancellation.Complete(status, ModelName);
    }

    /// <summary>Releases the native session once no run uses it any more. Idempotent.</summary>
    public void Dispose() => handle.Dispose();

    /// <inheritdoc />
    public override string ToString() => $"OrtSession '{ModelName}' ({string.Join(", ", ExecutionProviders)})";

    internal OrtHandle.Lease Acquire() => handle.Acquire(ownerName);

    /// <summary>The native owner, for objects that must keep the session alive (bindings).</summary>
    internal OrtHandle Handle => handle;

    /// <summary>Names the session in <see cref="ObjectDisposedException"/>s.</summary>
    internal string OwnerName => ownerName;

    /// <summary>Checks one value against the declaration of input or output <paramref name="name"/>; returns its slot.</summary>
    internal int Validate(string name, OrtValue value, bool isInput)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        var slot = isInput ? InputSlot(name) : OutputSlot(name);
        var declared = isInput ? Inputs[slot] : Outputs[slot];
        var role = isInput ? "input" : "output";
        if (value.IsDisposed)
        {
            throw new ObjectDisposedException($"OrtValue bound to {role} '{name}' of '{ModelName}'");
        }

        if (declared.Kind != OrtValueKind.Tensor)
        {
            return slot;
        }

        if (value.Kind != OrtValueKind.Tensor)
        {
            throw new TensorContractException($"{ModelName}: {role} '{name}' expects a tensor ({declared}) but got a {value.Kind}.", name);
        }

        var actualType = value.ElementType;
        var shape = value.Shape;
        if (actualType != declared.ElementType)
        {
            throw new TensorContractException(
                $"{ModelName}: {role} '{name}' expects {OrtTensorElementTypes.Name(declared.ElementType)} {declared.ShapeText} but got {OrtTensorElementTypes.Name(actualType)} {TensorShape.Format(shape)} (wrong element type).",
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

    internal nint InputNamePointer(int slot) => NamePointer(inputNameBlock, inputNameOffsets[slot]);

    internal nint OutputNamePointer(int slot) => NamePointer(outputNameBlock, outputNameOffsets[slot]);

    private static nint NamePointer(byte[] pinnedBlock, int offset) =>
        (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinnedBlock)) + offset;

    private void RunCore(ReadOnlySpan<NamedOrtValue> inputs, ReadOnlySpan<int> outputSlots, Span<nint> outputValues, OrtRunOptions? runOptions, CancellationToken cancellationToken)
    {
        Span<int> inputSlots = inputs.Length <= 64 ? stackalloc int[inputs.Length] : new int[inputs.Length];
        ValidateNamed(inputs, isInput: true, inputSlots);
        RequireAllInputs(inputs, inputSlots);
        cancellationToken.ThrowIfCancellationRequested();

        var inputNames = inputs.Length <= 64 ? stackalloc nint[inputs.Length] : new nint[inputs.Length];
        var inputValues = inputs.Length <= 64 ? stackalloc nint[inputs.Length] : new nint[inputs.Length];
        var outputNames = outputSlots.Length <= 64 ? stackalloc nint[outputSlots.Length] : new nint[outputSlots.Length];
        for (var i = 0; i < outputSlots.Length; i++)
        {
            outputNames[i] = OutputNamePointer(outputSlots[i]);
        }

        using var session = Acquire();
        var leased = 0;
        try
        {
            for (; leased < inputs.Length; leased++)
            {
                inputNames[leased] = InputNamePointer(inputSlots[leased]);
                inputValues[leased] = inputs[leased].Value.AddRef();
            }

            using var cancellation = new RunCancellation(runOptions, cancellationToken);
            fixed (nint* inNames = inputNames)
            fixed (nint* inValues = inputValues)
            fixed (nint* outNames = outputNames)
            fixed (nint* outValues = outputValues)
            {
                var status = OrtApi.Run(session.Pointer, cancellation.RunOptionsPointer, inNames, inValues, (nuint)inputs.Length, outNames, (nuint)outputSlots.Length, outValues);
                cancellation.Complete(status, ModelName);
            }
        }
        finally
        {
            for (var i = 0; i < leased; i++)
            {
                inputs[i].Value.Release();
            }
        }
    }

    private void ValidateNamed(ReadOnlySpan<NamedOrtValue> values, bool isInput, Span<int> slots)
    {
        for (var i = 0; i < values.Length; i++)
        {
            slots[i] = Validate(values[i].Name, values[i].Value, isInput);
            for (var j = 0; j < i; j++)
            {
                if (slots[j] == slots[i])
                {
                    throw new TensorContractException($"{ModelName}: {(isInput ? "input" : "output")} '{values[i].Name}' is given twice.", values[i].Name);
                }
            }
        }
    }

    private void RequireAllInputs(ReadOnlySpan<NamedOrtValue> inputs, ReadOnlySpan<int> slots)
    {
        if (slots.Length == Inputs.Count)
        {
            return; // every slot is distinct (checked), so all are present
        }

        var given = new HashSet<int>(slots.ToArray());
        var missing = Inputs.Where((_, slot) => !given.Contains(slot)).ToArray();
        var givenNames = new string[inputs.Length];
        for (var i = 0; i < inputs.Length; i++)
        {
            givenNames[i] = inputs[i].Name;
        }

        throw new TensorContractException(
            $"{ModelName}: missing input {string.Join(", ", missing.Select(m => $"'{m}'"))}. Given: {(givenNames.Length == 0 ? "none" : string.Join(", ", givenNames))}.",
            missing[0].Name);
    }

    private int InputSlot(string name) =>
        inputIndex.TryGetValue(name, out var slot)
            ? slot
            : throw new TensorContractException($"{ModelName} has no input named '{name}'. Its inputs: {string.Join(", ", Inputs)}.", name);

    /// <summary>The index of output <paramref name="name"/>; throws <see cref="TensorContractException"/> naming the outputs if unknown.</summary>
    internal int OutputSlot(string name) =>
        outputIndex.TryGetValue(name, out var slot)
            ? slot
            : throw new TensorContractException($"{ModelName} has no output named '{name}'. Its outputs: {string.Join(", ", Outputs)}.", name);

    private static Dictionary<string, int> IndexOf(IReadOnlyList<OrtNodeInfo> nodes)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < nodes.Count; i++)
        {
            index[nodes[i].Name] = i;
        }

        return index;
    }

    private static OrtSession Create(string modelName, OrtSessionOptions options, ILogger? logger, CreateNative createNative)
    {
        var environment = OnnxRuntime.Environment;
        var log = logger ?? OnnxRuntime.Logger;
        string? fallbackReason = null;
        var withCuda = options.ExecutionProvider != ExecutionProviderPolicy.Cpu;
        nint sessionPointer;
        while (true)
        {
            nint optionsPointer;
            OrtApi.Check(OrtApi.CreateSessionOptions(&optionsPointer), "creating session options");
            using var nativeOptions = new OrtHandle(optionsPointer, OrtApi.ReleaseSessionOptions);
            SessionOptionsBuilder.Apply(optionsPointer, options, modelName);
            if (withCuda && SessionOptionsBuilder.TryAppendCuda(optionsPointer, options) is { } failure)
            {
                var explanation = CudaUnavailableMessage(failure);
                if (options.ExecutionProvider == ExecutionProviderPolicy.RequireCuda)
                {
                    throw new ExecutionProviderUnavailableException(CudaProvider, $"{modelName}: CUDA was required (ExecutionProviderPolicy.RequireCuda) but {explanation}");
                }

                fallbackReason = $"CUDA was preferred but {explanation} The session runs on CPU.";
                log.LogWarning("{Model}: {Reason}", modelName, fallbackReason);
                withCuda = false;
            }

            var status = createNative(environment, optionsPointer, &sessionPointer);
            if (status == 0)
            {
                break;
            }

            var error = OrtApi.ToException(status, $"creating a session from '{modelName}'");
            if (options.ExecutionProvider == ExecutionProviderPolicy.RequireCuda)
            {
                throw new ExecutionProviderUnavailableException(CudaProvider, $"{modelName}: CUDA was required (ExecutionProviderPolicy.RequireCuda) but the session could not be created on it: {error.RuntimeMessage}", error);
            }

            if (!withCuda)
            {
                throw error;
            }

            // PreferCuda: the provider loaded but the session could not be built on it (no device, driver, cuDNN).
            fallbackReason = $"CUDA was preferred but the session could not be created on it ([{error.ErrorCode}] {error.RuntimeMessage}). The session runs on CPU.";
            log.LogWarning("{Model}: {Reason}", modelName, fallbackReason);
            withCuda = false;
        }

        var session = new OrtSession(sessionPointer, modelName, options.ExecutionProvider, fallbackReason);
        if (fallbackReason is null && session.ExecutionProviderFallbackReason is { } reason)
        {
            log.LogWarning("{Model}: {Reason}", modelName, reason);
        }

        log.LogDebug("{Model}: session created on {Providers}", modelName, string.Join(", ", session.ExecutionProviders));
        return session;
    }

    private static string CudaUnavailableMessage((OrtErrorCode Code, string Message) failure)
    {
        var library = OnnxRuntime.LibraryPath;
        var directory = Path.IsPathRooted(library) ? Path.GetDirectoryName(library) ?? library : "the folder of the ONNX Runtime library";
        var (shared, cuda) = OperatingSystem.IsWindows()
            ? ("onnxruntime_providers_shared.dll", "onnxruntime_providers_cuda.dll")
            : ("libonnxruntime_providers_shared.so", "libonnxruntime_providers_cuda.so");
        return $"the CUDA execution provider could not be loaded: ONNX Runtime looks for {shared} and {cuda} in '{directory}' (they come with the Microsoft.ML.OnnxRuntime.Gpu package) and needs CUDA 12.x and cuDNN 9.x on the library path. ONNX Runtime said: [{failure.Code}] {failure.Message}";
    }

    private static IReadOnlyList<OrtNodeInfo> ReadNodes(nint session, bool isInput)
    {
        nuint count;
        OrtApi.Check(isInput ? OrtApi.SessionGetInputCount(session, &count) : OrtApi.SessionGetOutputCount(session, &count), "counting model inputs/outputs");
        var nodes = new OrtNodeInfo[(int)count];
        for (nuint i = 0; i < count; i++)
        {
            byte* name;
            OrtApi.Check(
                isInput ? OrtApi.SessionGetInputName(session, i, OrtApi.DefaultAllocator, &name) : OrtApi.SessionGetOutputName(session, i, OrtApi.DefaultAllocator, &name),
                "reading a model input/output name");
            var text = OrtApi.TakeString(name);

            nint typeInfo;
            OrtApi.Check(isInput ? OrtApi.SessionGetInputTypeInfo(session, i, &typeInfo) : OrtApi.SessionGetOutputTypeInfo(session, i, &typeInfo), $"reading the type of '{text}'");
            try
            {
                nodes[(int)i] = DescribeNode(text, typeInfo);
            }
            finally
            {
                OrtApi.ReleaseTypeInfo(typeInfo);
            }
        }

        return nodes;
    }

    private static OrtNodeInfo DescribeNode(string name, nint typeInfo)
    {
        OrtValueKind kind;
        OrtApi.Check(OrtApi.GetOnnxTypeFromTypeInfo(typeInfo, &kind), $"reading the kind of '{name}'");
        nint tensorInfo;
        OrtApi.Check(OrtApi.CastTypeInfoToTensorInfo(typeInfo, &tensorInfo), $"reading the tensor info of '{name}'");
        if (kind != OrtValueKind.Tensor || tensorInfo == 0)
        {
            return new OrtNodeInfo(name, kind, OrtTensorElementType.Undefined, [], []);
        }

        // tensorInfo is borrowed from typeInfo: not released here.
        OrtTensorElementType elementType;
        nuint rank;
        OrtApi.Check(OrtApi.GetTensorElementType(tensorInfo, &elementType), $"reading the element type of '{name}'");
        OrtApi.Check(OrtApi.GetDimensionsCount(tensorInfo, &rank), $"reading the rank of '{name}'");
        var dims = new long[(int)rank];
        var symbolic = new string[(int)rank];
        var symbolicPointers = new nint[(int)rank];
        fixed (long* d = dims)
        fixed (nint* s = symbolicPointers)
        {
            OrtApi.Check(OrtApi.GetDimensions(tensorInfo, d, rank), $"reading the dimensions of '{name}'");
            OrtApi.Check(OrtApi.GetSymbolicDimensions(tensorInfo, (byte**)s, rank), $"reading the symbolic dimensions of '{name}'");
        }

        for (var i = 0; i < symbolic.Length; i++)
        {
            symbolic[i] = symbolicPointers[i] == 0 ? string.Empty : Marshal.PtrToStringUTF8(symbolicPointers[i]) ?? string.Empty;
        }

        return new OrtNodeInfo(name, kind, elementType, dims, symbolic);
    }

    private static OrtModelMetadata ReadMetadata(nint session)
    {
        nint metadata;
        OrtApi.Check(OrtApi.SessionGetModelMetadata(session, &metadata), "reading model metadata");
        try
        {
            var allocator = OrtApi.DefaultAllocator;
            byte* value;
            OrtApi.Check(OrtApi.ModelMetadataGetProducerName(metadata, allocator, &value), "reading the producer name");
            var producer = OrtApi.TakeString(value);
            OrtApi.Check(OrtApi.ModelMetadataGetGraphName(metadata, allocator, &value), "reading the graph name");
            var graph = OrtApi.TakeString(value);
            OrtApi.Check(OrtApi.ModelMetadataGetDomain(metadata, allocator, &value), "reading the domain");
            var domain = OrtApi.TakeString(value);
            OrtApi.Check(OrtApi.ModelMetadataGetDescription(metadata, allocator, &value), "reading the description");
            var description = OrtApi.TakeString(value);
            OrtApi.Check(OrtApi.ModelMetadataGetGraphDescription(metadata, allocator, &value), "reading the graph description");
            var graphDescription = OrtApi.TakeString(value);
            long version;
            OrtApi.Check(OrtApi.ModelMetadataGetVersion(metadata, &version), "reading the model version");

            var custom = new Dictionary<string, string>(StringComparer.Ordinal);
            byte** keys;
            long keyCount;
            OrtApi.Check(OrtApi.ModelMetadataGetCustomMetadataMapKeys(metadata, allocator, &keys, &keyCount), "listing custom metadata keys");
            if (keys != null)
            {
                try
                {
                    for (long i = 0; i < keyCount; i++)
                    {
                        var key = Marshal.PtrToStringUTF8((nint)keys[i]) ?? string.Empty;
                        OrtApi.Check(OrtApi.ModelMetadataLookupCustomMetadataMap(metadata, allocator, keys[i], &value), $"reading custom metadata '{key}'");
                        custom[key] = OrtApi.TakeString(value);
                    }
                }
                finally
                {
                    for (long i = 0; i < keyCount; i++)
                    {
                        OrtApi.AllocatorFree(allocator, keys[i]);
                    }

                    OrtApi.AllocatorFree(allocator, keys);
                }
            }

            return new OrtModelMetadata(producer, graph, domain, description, graphDescription, version, custom);
        }
        finally
        {
            OrtApi.ReleaseModelMetadata(metadata);
        }
    }

    private static IReadOnlyDictionary<string, int> ReadAssignment(nint session)
    {
        nint* subgraphs;
        nuint count;
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        var status = OrtApi.SessionGetEpGraphAssignmentInfo(session, &subgraphs, &count);
        if (status != 0)
        {
            var (code, message) = OrtApi.ReadAndRelease(status);
            OnnxRuntime.Logger.LogDebug("Execution provider assignment not available: [{Code}] {Message}", code, message);
            counts[CpuProvider] = 0;
            return counts;
        }

        for (nuint i = 0; i < count; i++)
        {
            byte* name;
            OrtApi.Check(OrtApi.EpAssignedSubgraphGetEpName(subgraphs[i], &name), "reading an execution provider assignment");
            nint* nodes;
            nuint nodeCount;
            OrtApi.Check(OrtApi.EpAssignedSubgraphGetNodes(subgraphs[i], &nodes, &nodeCount), "reading an execution provider assignment");
            var provider = Marshal.PtrToStringUTF8((nint)name) ?? "?";
            counts[provider] = counts.GetValueOrDefault(provider) + (int)nodeCount;
        }

        if (counts.Count == 0)
        {
            counts[CpuProvider] = 0;
        }

        return counts;
    }

    private delegate nint CreateNative(nint environment, nint sessionOptions, nint* session);
}
