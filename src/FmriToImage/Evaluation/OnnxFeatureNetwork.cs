using System.Numerics.Tensors;
using FmriToImage.Onnx;

namespace FmriToImage.Evaluation;

/// <summary>An evaluation network exported to ONNX: input <c>pixel_values</c>, one output per feature layer.</summary>
/// <remarks>Owns its session. <see cref="Run"/> is the only code here that touches the ONNX Runtime binding.</remarks>
internal sealed class OnnxFeatureNetwork : IFeatureNetwork
{
    private readonly GraphSession _session;

    private OnnxFeatureNetwork(string name, GraphSession session)
    {
        Name = name;
        _session = session;
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public string Device => string.Join("+", _session.ExecutionProviders)
        + (_session.ExecutionProviderFallbackReason is { } reason ? $" (fallback from CUDA: {reason})" : "");

    /// <summary>The graph's output names.</summary>
    public IReadOnlyList<string> OutputNames => _session.Outputs.Select(o => o.Name).ToArray();

    /// <summary>The graph's input names.</summary>
    public IReadOnlyList<string> InputNames => _session.Inputs.Select(o => o.Name).ToArray();

    /// <summary>Opens the graph at <paramref name="path"/>.</summary>
    public static OnnxFeatureNetwork Open(string name, string path, EvaluationBundleOptions options) =>
        new(name, GraphSession.Open(path, new SessionSettings { ExecutionProvider = options.ExecutionProvider, IntraOpThreads = options.IntraOpThreads }));

    /// <inheritdoc/>
    public float[][] Run(Tensor<float> pixelValues, IReadOnlyList<string> outputs, CancellationToken cancellationToken)
    {
        using var input = AlignedTensor.Copy(pixelValues);
        using var results = _session.Run([new("pixel_values", input)], outputs.ToArray(), cancellationToken: cancellationToken);
        return results.Select(r => r.ReadData<float>().ToArray()).ToArray();
    }

    /// <inheritdoc/>
    public void Dispose() => _session.Dispose();
}
