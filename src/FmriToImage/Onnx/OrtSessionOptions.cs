using Microsoft.Extensions.Logging;

namespace FmriToImage.Onnx;

/// <summary>
/// How a session is built: threads, graph optimisation, memory behaviour, execution provider policy and free-form
/// ONNX Runtime configuration entries. Immutable; defaults are ONNX Runtime's own except where noted
/// (<see cref="Spinning"/>).
/// </summary>
public sealed record OrtSessionOptions
{
    /// <summary>The default options: CPU, ONNX Runtime's default threads, all graph optimisations.</summary>
    public static OrtSessionOptions Default { get; } = new();

    /// <summary>Threads used inside one operator; 0 lets ONNX Runtime choose (one per physical core).</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Threads that run independent operators in <see cref="OrtExecutionMode.Parallel"/> mode; 0 = default.</summary>
    public int InterOpThreads { get; init; }

    /// <summary>How much the graph is rewritten before running (default <see cref="OrtGraphOptimizationLevel.All"/>).</summary>
    public OrtGraphOptimizationLevel GraphOptimizationLevel { get; init; } = OrtGraphOptimizationLevel.All;

    /// <summary>
    /// Whether the intra-op worker threads busy-wait for work (default <see cref="OrtThreadSpinning.WhileRunning"/>,
    /// unlike ONNX Runtime's default <see cref="OrtThreadSpinning.Always"/>): every session has its own thread pool and
    /// a pipeline hops between a dozen sessions, so workers still spinning after their session's run take the cores
    /// the next session needs, while workers that never spin are woken for every one of a network's small parallel
    /// sections. Measured on the demo bundle (2-core VM, docs/performance.md, "ONNX Runtime tuning"). Entries for
    /// <c>session.intra_op.allow_spinning</c> or <c>session.force_spinning_stop</c> in <see cref="ConfigEntries"/>
    /// take precedence.
    /// </summary>
    public OrtThreadSpinning Spinning { get; init; }

    /// <summary>Sequential (default) or parallel execution of independent nodes.</summary>
    public OrtExecutionMode ExecutionMode { get; init; } = OrtExecutionMode.Sequential;

    /// <summary>Plan memory from the first run's shapes and reuse the plan (default true; helps fixed shapes).</summary>
    public bool EnableMemoryPattern { get; init; } = true;

    /// <summary>Use ONNX Runtime's CPU memory arena (default true). The arena keeps memory for reuse instead of returning it.</summary>
    public bool EnableCpuMemoryArena { get; init; } = true;

    /// <summary>
    /// When set, ONNX Runtime writes the optimised graph to this file when the session is created; a later session
    /// may open that file with <see cref="GraphOptimizationLevel"/> = <see cref="OrtGraphOptimizationLevel.DisableAll"/>
    /// to skip optimisation.
    /// </summary>
    public string? OptimizedModelFilePath { get; init; }

    /// <summary>Free-form session configuration entries (<c>AddSessionConfigEntry</c>), e.g. <c>session.intra_op.allow_spinning</c> = <c>0</c>.</summary>
    public IReadOnlyDictionary<string, string> ConfigEntries { get; init; } = new Dictionary<string, string>();

    /// <summary>CPU (default), CUDA with a reported fallback to CPU, or CUDA only.</summary>
    public ExecutionProviderPolicy ExecutionProvider { get; init; } = ExecutionProviderPolicy.Cpu;

    /// <summary>The CUDA device ordinal when CUDA is used (default 0).</summary>
    public int CudaDeviceId { get; init; }

    /// <summary>
    /// CUDA provider options passed through the V2 options API, e.g. <c>gpu_mem_limit</c>, <c>arena_extend_strategy</c>,
    /// <c>cudnn_conv_algo_search</c>; <c>device_id</c> comes from <see cref="CudaDeviceId"/>.
    /// </summary>
    public IReadOnlyDictionary<string, string> CudaOptions { get; init; } = new Dictionary<string, string>();

    /// <summary>The least severe message the session logs (null: the environment's level).</summary>
    public LogLevel? LogLevel { get; init; }

    /// <summary>The session's name in ONNX Runtime's log (default: the model file name).</summary>
    public string? LogId { get; init; }
}
