using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Onnx;

/// <summary>
/// How the library builds each component's <see cref="SessionOptions"/>: threads, graph optimisation, memory
/// behaviour, spinning, execution provider policy, free-form configuration entries, and the application's own hook
/// (<see cref="Configure"/>) that may append any execution provider. Immutable; defaults are ONNX Runtime's own except
/// <see cref="Spinning"/>.
/// </summary>
internal sealed record SessionSettings
{
    /// <summary>The default settings: CPU, ONNX Runtime's default threads, all graph optimisations.</summary>
    public static SessionSettings Default { get; } = new();

    /// <summary>Threads used inside one operator; 0 lets ONNX Runtime choose (one per physical core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Threads that run independent operators in <see cref="ExecutionMode.ORT_PARALLEL"/> mode; 0 = default.</summary>
    public int InterOpThreads { get; init; }

    /// <summary>How much the graph is rewritten before running (default all).</summary>
    public GraphOptimizationLevel GraphOptimizationLevel { get; init; } = GraphOptimizationLevel.ORT_ENABLE_ALL;

    /// <summary>
    /// Whether intra-op workers busy-wait (default <see cref="ThreadSpinning.WhileRunning"/>, unlike ONNX Runtime's
    /// <see cref="ThreadSpinning.Always"/>): a pipeline hops between a dozen sessions, each with its own thread pool,
    /// so workers still spinning after their run take the cores the next session needs (docs/performance.md).
    /// Entries for <c>session.intra_op.allow_spinning</c> or <c>session.force_spinning_stop</c> in
    /// <see cref="ConfigEntries"/> take precedence.
    /// </summary>
    public ThreadSpinning Spinning { get; init; }

    /// <summary>
    /// With <see cref="ThreadSpinning.WhileRunning"/>: how long an idle worker spins for the next parallel section
    /// before it blocks, in microseconds (<c>session.intra_op.spin_duration_us</c>; default 50, at least 1). Null keeps
    /// ONNX Runtime's own spin count, with which the demo reconstruction ran 1.2–1.7× slower than with 20–50 µs on a
    /// shared 2-core machine (docs/performance.md, "Bounded spinning"). A config entry for the key wins.
    /// </summary>
    public int? SpinMicroseconds { get; init; } = 50;

    /// <summary>Sequential (default) or parallel execution of independent nodes.</summary>
    public ExecutionMode ExecutionMode { get; init; } = ExecutionMode.ORT_SEQUENTIAL;

    /// <summary>Plan memory from the first run's shapes and reuse the plan (default true).</summary>
    public bool EnableMemoryPattern { get; init; } = true;

    /// <summary>Use ONNX Runtime's CPU memory arena (default true).</summary>
    public bool EnableCpuMemoryArena { get; init; } = true;

    /// <summary>When set, ONNX Runtime writes the optimised graph to this file when the session is created.</summary>
    public string? OptimizedModelFilePath { get; init; }

    /// <summary>Free-form session configuration entries (<see cref="SessionOptions.AddSessionConfigEntry"/>).</summary>
    public IReadOnlyDictionary<string, string> ConfigEntries { get; init; } = new Dictionary<string, string>();

    /// <summary>CPU (default), CUDA with a reported fallback to CPU, or CUDA only.</summary>
    public ExecutionProviderPolicy ExecutionProvider { get; init; } = ExecutionProviderPolicy.Cpu;

    /// <summary>The CUDA device ordinal when CUDA is used (default 0).</summary>
    public int CudaDeviceId { get; init; }

    /// <summary>CUDA provider options (e.g. <c>gpu_mem_limit</c>, <c>cudnn_conv_algo_search</c>); <c>device_id</c> comes from <see cref="CudaDeviceId"/>.</summary>
    public IReadOnlyDictionary<string, string> CudaOptions { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Sessions share the process-wide ONNX Runtime thread pools instead of owning one each
    /// (<see cref="SessionOptions.DisablePerSessionThreads"/>; the pools are made with the environment, see
    /// <see cref="OnnxEnvironment"/>; <see cref="IntraOpThreads"/> then does not apply). Default false: measured slower
    /// or no faster on the demo bundle (docs/performance.md, "Global thread pools").
    /// </summary>
    public bool UseGlobalThreadPool { get; init; }

    /// <summary>
    /// Float16 graphs seen as float32 (what the bundle's sessions use): a float32 value given for a float16 input is
    /// converted to a float16 copy, and float16 outputs are returned as float32 copies, so the library's own state
    /// stays float32 and the conversion happens at the graph's edge. Default false: values pass as they are.
    /// </summary>
    public bool Float16AsFloat32 { get; init; }

    /// <summary>The least severe message the session logs (null: warnings and errors, as the environment).</summary>
    public Microsoft.Extensions.Logging.LogLevel? LogLevel { get; init; }

    /// <summary>The session's name in ONNX Runtime's log (default: the model file name).</summary>
    public string? LogId { get; init; }

    /// <summary>
    /// The caller's hook: called with the <see cref="SessionOptions"/> after the library's settings and its own
    /// provider (per <see cref="ExecutionProvider"/>), before the session is created; it may append any execution
    /// provider (with <see cref="ExecutionProviderPolicy.Cpu"/> the library appends none, so the hook's come first).
    /// </summary>
    public Action<SessionOptions>? Configure { get; init; }
}
