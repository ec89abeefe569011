namespace FmriToImage.Onnx;

/// <summary>Whether independent graph nodes run one after another or in parallel (<c>ExecutionMode</c>).</summary>
public enum OrtExecutionMode
{
    /// <summary>Nodes run one at a time; each may use the intra-op thread pool (the default).</summary>
    Sequential = 0,

    /// <summary>Independent nodes run concurrently on the inter-op thread pool.</summary>
    Parallel = 1,
}
