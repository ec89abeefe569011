using FmriToImage.Onnx;

namespace FmriToImage.Evaluation;

/// <summary>How <see cref="EvaluationBundle.Open"/> opens the evaluation networks.</summary>
public sealed record EvaluationBundleOptions
{
    /// <summary>CPU (default), CUDA with a reported fallback to CPU, or CUDA only.</summary>
    public ExecutionProviderPolicy ExecutionProvider { get; init; } = ExecutionProviderPolicy.Cpu;

    /// <summary>Intra-op threads per network; 0 (default) lets ONNX Runtime choose.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Whether to check every file's SHA-256 against <c>evaluation.json</c> (default true).</summary>
    public bool VerifyChecksums { get; init; } = true;

    /// <summary>Images per network run (default 8): bounds memory with CLIP ViT-L/14 and Inception at 342 px.</summary>
    public int BatchSize { get; init; } = 8;
}
