using FmriToImage.Bundle;
using FmriToImage.Onnx;
using FmriToImage.Pipelines;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage;

/// <summary>How <see cref="BrainDecoder.Load"/> opens a bundle.</summary>
public sealed record BrainDecoderOptions
{
    /// <summary>CPU (default), CUDA with a reported fallback, or CUDA only (see <see cref="ExecutionProviderPolicy"/>).</summary>
    public ExecutionProviderPolicy ExecutionProvider { get; init; } = ExecutionProviderPolicy.Cpu;

    /// <summary>
    /// Threads per ONNX Runtime operator for every network; 0 (the default) lets the library choose: one per core, except
    /// small encoders — voxel encoders, subject adapters, text and image encoders and captioner graphs of at most 16 MiB
    /// with everything beside them, as in the demo bundle — which run on one thread, since a second gains them nothing
    /// and waits for a core on a busy machine (docs/performance.md). <see cref="DecoderNetwork.IntraOpThreads"/> says
    /// what each network got; <see cref="ConfigureSession"/> can set any count per network. Negative counts are refused.
    /// Voxel encoders and subject adapters above that size also open without ONNX Runtime's weight pre-packing
    /// (<c>session.disable_prepacking</c>: the full-size MindEye2 voxel side loads in 3.7 s instead of 30 s and peaks at
    /// 1.17 × its weights after use instead of 1.92 ×; the first call reads the mapped weights in — about 3 s for
    /// MindEye's 3.8 GB voxel2clip — and later calls cost up to 0.05 s more per trial; docs/performance.md);
    /// <see cref="ConfigureSession"/> can turn it back on.
    /// </summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Check every bundle file's sha256 at load (default true).</summary>
    public bool VerifyChecksums { get; init; } = true;

    /// <summary>Where the decoder and ONNX Runtime report (execution-provider fallbacks, stages), or null.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Trials that <see cref="BrainDecoder.ReconstructAllAsync"/> and <see cref="BrainDecoder.EmbedBrain(Data.VoxelMatrix, string?)"/>
    /// run through the encoders together (default 8; at least 1). Larger batches amortise per-run overhead; memory grows
    /// with it, except the VAE's: a batch's trials × low-level encoders images decode in runs of at most 512² output
    /// pixels (one full-size image per run; docs/performance.md, "VAE decoding in runs").
    /// </summary>
    public int TrialBatchSize { get; init; } = 8;

    /// <summary>
    /// Called with each network's kind and ONNX Runtime's <see cref="SessionOptions"/> after the library's own settings
    /// and provider, before its session is created: append any execution provider there (TensorRT, OpenVINO, ROCm,
    /// DirectML, CoreML, ...; the application then references that provider's ONNX Runtime package), or change any
    /// other option. With <see cref="ExecutionProviderPolicy.Cpu"/> the library appends none, so the hook's providers
    /// come first and CPU runs what they cannot. Each network reports what it was created with
    /// (<see cref="BrainDecoder.Networks"/>). Since a hook may append a device provider, whose copies of bound host
    /// inputs are made when they are bound, the denoising loop then binds its inputs again and synchronizes before and
    /// after every step, also when the hook appended none (a small cost on CPU). The library may already have set
    /// session config entries (<c>session.disable_prepacking</c> for large voxel encoders, see
    /// <see cref="IntraOpThreads"/>); a hook that sets one again overrides it, and ONNX Runtime logs a warning.
    /// </summary>
    public Action<BundleComponentKind, SessionOptions>? ConfigureSession { get; init; }

    /// <summary>Every session setting the library knows (tests and benchmarks); overrides <see cref="ExecutionProvider"/> and <see cref="IntraOpThreads"/> when set.</summary>
    internal SessionSettings? SessionSettings { get; init; }

    /// <summary>The pipelines the decoder runs and what each needs; null for <see cref="PipelineTable.Default"/> (a test registers a pipeline of its own here).</summary>
    internal PipelineTable? Pipelines { get; init; }
}
