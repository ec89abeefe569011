namespace FmriToImage.Onnx;

/// <summary>How much ONNX Runtime rewrites the graph before running it (<c>GraphOptimizationLevel</c>).</summary>
public enum OrtGraphOptimizationLevel
{
    /// <summary>No graph optimisation.</summary>
    DisableAll = 0,

    /// <summary>Semantics-preserving node eliminations and constant folding.</summary>
    Basic = 1,

    /// <summary>Basic plus complex node fusions.</summary>
    Extended = 2,

    /// <summary>Extended plus layout optimisations (ONNX Runtime's default).</summary>
    All = 99,
}
