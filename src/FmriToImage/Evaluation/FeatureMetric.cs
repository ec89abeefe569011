namespace FmriToImage.Evaluation;

/// <summary>
/// One network-based metric of MindEye's table: which evaluation network and output it reads and how it scores them.
/// </summary>
/// <param name="Key">Stable key in <c>metrics.json</c> (e.g. <c>alexnet2</c>).</param>
/// <param name="Name">The column name published tables use (e.g. <c>AlexNet(2)</c>).</param>
/// <param name="Network">The network's folder in the evaluation bundle.</param>
/// <param name="Output">The graph output holding the feature layer.</param>
/// <param name="IsCorrelationDistance">
/// True: the mean correlation distance between ground-truth and reconstruction features (<see cref="CorrelationDistance"/>;
/// lower is better). False: two-way identification (<see cref="TwoWayIdentification"/>; higher is better, chance 0.5).
/// </param>
public sealed record FeatureMetric(string Key, string Name, string Network, string Output, bool IsCorrelationDistance)
{
    /// <summary>
    /// MindEye's six network metrics (<c>src/Reconstruction_Metrics.py</c>): AlexNet <c>features.4</c> and
    /// <c>features.11</c>, Inception v3 <c>avgpool</c>, CLIP ViT-L/14 <c>encode_image</c> by two-way identification;
    /// EfficientNet-B1 <c>avgpool</c> and SwAV-ResNet50 <c>avgpool</c> by correlation distance.
    /// </summary>
    public static IReadOnlyList<FeatureMetric> MindEye { get; } =
    [
        new("alexnet2", "AlexNet(2)", "alexnet", "features_4", IsCorrelationDistance: false),
        new("alexnet5", "AlexNet(5)", "alexnet", "features_11", IsCorrelationDistance: false),
        new("inceptionv3", "InceptionV3", "inception_v3", "avgpool", IsCorrelationDistance: false),
        new("clip", "CLIP", "clip_vit_l14", "image_embeds", IsCorrelationDistance: false),
        new("effnet_b", "EffNet-B", "efficientnet_b1", "avgpool", IsCorrelationDistance: true),
        new("swav", "SwAV", "swav_resnet50", "avgpool", IsCorrelationDistance: true),
    ];
}
