namespace FmriToImage.Onnx;

/// <summary>What an ONNX file says about itself: producer, graph, description, version and custom key/value pairs.</summary>
/// <param name="ProducerName">The tool that wrote the file, e.g. "pytorch".</param>
/// <param name="GraphName">The graph's name.</param>
/// <param name="Domain">The model's domain.</param>
/// <param name="Description">The model's doc string.</param>
/// <param name="GraphDescription">The graph's doc string.</param>
/// <param name="Version">The model version number.</param>
/// <param name="CustomMetadata">The <c>metadata_props</c> key/value pairs.</param>
public sealed record OrtModelMetadata(
    string ProducerName,
    string GraphName,
    string Domain,
    string Description,
    string GraphDescription,
    long Version,
    IReadOnlyDictionary<string, string> CustomMetadata);
