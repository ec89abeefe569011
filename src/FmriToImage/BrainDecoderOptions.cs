using FmriToImage.Onnx;
using Microsoft.Extensions.Logging;

namespace FmriToImage;

/// <summary>How <see cref="BrainDecoder.Load"/> opens a bundle.</summary>
public sealed record BrainDecoderOptions
{
    /// <summary>CPU (default), CUDA with a reported fallback, or CUDA only (see <see cref="ExecutionProviderPolicy"/>).</summary>
    public ExecutionProviderPolicy ExecutionProvider { get; init; } = ExecutionProviderPolicy.Cpu;

    /// <summary>Threads per ONNX Runtime operator; 0 lets ONNX Runtime choose.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Check every bundle file's sha256 at load (default true).</summary>
    public bool VerifyChecksums { get; init; } = true;

    /// <summary>Where the decoder and ONNX Runtime report (execution-provider fallbacks, stages), or null.</summary>
    public ILogger? Logger { get; init; }

    /// <summary>
    /// Trials that <see cref="BrainDecoder.ReconstructAllAsync"/> and <see cref="BrainDecoder.EmbedBrain(Data.VoxelMatrix)"/>
    /// run through the encoders together (default 8; at least 1). Larger batches amortise per-run overhead; memory grows
    /// with it: one batch decodes trials × low-level encoders VAE images at once (docs/performance.md).
    /// </summary>
    public int TrialBatchSize { get; init; } = 8;

    /// <summary>Full session options, overriding <see cref="ExecutionProvider"/> and <see cref="IntraOpThreads"/> when set.</summary>
    public OrtSessionOptions? SessionOptions { get; init; }
}
