using System.Numerics.Tensors;

namespace FmriToImage.Evaluation;

/// <summary>
/// One evaluation network (AlexNet, Inception v3, CLIP, …) as the metrics see it: a batch of preprocessed images in,
/// flattened feature rows out. The only seam between the metric table and the runtime that runs the graph.
/// </summary>
internal interface IFeatureNetwork : IDisposable
{
    /// <summary>The network's folder name in the evaluation bundle.</summary>
    string Name { get; }

    /// <summary>Where it runs, in words (e.g. "CPUExecutionProvider"), for the run's record.</summary>
    string Device { get; }

    /// <summary>Runs a <c>[N, 3, H, W]</c> batch and returns, for each named output, N rows of its flattened values.</summary>
    /// <param name="pixelValues">The preprocessed batch.</param>
    /// <param name="outputs">The outputs wanted.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>One array per output, N × (values per image) floats, row-major.</returns>
    float[][] Run(Tensor<float> pixelValues, IReadOnlyList<string> outputs, CancellationToken cancellationToken);
}
