using System.Security.Cryptography;
using System.Text.Json;
using FmriToImage.Configuration;
using FmriToImage.Imaging;

namespace FmriToImage.Evaluation;

/// <summary>
/// The feature networks of MindEye's metric table as ONNX graphs, each with the preprocessing the published code
/// applies: a folder with <c>evaluation.json</c> and, per network, <c>&lt;name&gt;/model.onnx</c> (input
/// <c>pixel_values</c>, one output per feature layer) and <c>&lt;name&gt;/preprocessor_config.json</c> (resize, crop,
/// mean/std in Hugging Face's format). Written by <c>models/export/eval_networks.py</c>; format in docs/evaluation.md.
/// </summary>
/// <remarks>
/// Networks are <c>alexnet</c>, <c>inception_v3</c>, <c>clip_vit_l14</c>, <c>efficientnet_b1</c>, <c>swav_resnet50</c>;
/// a bundle may hold any subset (a lab without SwAV weights leaves it out) and the metrics of the missing ones are
/// not computed. Owns the networks' sessions: dispose it.
/// </remarks>
public sealed class EvaluationBundle : IDisposable
{
    /// <summary>The manifest's file name.</summary>
    public const string ManifestFileName = "evaluation.json";

    /// <summary>The manifest format this library reads.</summary>
    public const string Format = "fmri2img-evaluation/1";

    private readonly Dictionary<string, (IFeatureNetwork Network, ImagePreprocessor Preprocessor)> _networks;

    private EvaluationBundle(string rootPath, string sha256, int commonSize, int pixelSize, IReadOnlyDictionary<string, string> weights, Dictionary<string, (IFeatureNetwork, ImagePreprocessor)> networks)
    {
        RootPath = rootPath;
        Sha256 = sha256;
        CommonSize = commonSize;
        PixelSize = pixelSize;
        Weights = weights;
        _networks = networks;
        Metrics = FeatureMetric.MindEye.Where(m => networks.ContainsKey(m.Network)).ToArray();
    }

    /// <summary>The networks a bundle may hold, by folder name.</summary>
    public static IReadOnlyList<string> NetworkNames { get; } = ["alexnet", "inception_v3", "clip_vit_l14", "efficientnet_b1", "swav_resnet50"];

    /// <summary>The bundle folder (full path).</summary>
    public string RootPath { get; }

    /// <summary>SHA-256 of <c>evaluation.json</c>, which lists every file's SHA-256: the bundle's identity.</summary>
    public string Sha256 { get; }

    /// <summary>The square size every image is resized to first (MindEye: 256).</summary>
    public int CommonSize { get; }

    /// <summary>The square size PixCorr and SSIM compare at (MindEye: 425).</summary>
    public int PixelSize { get; }

    /// <summary>Each network's weights as the manifest describes them (e.g. "random (CI)" or "IMAGENET1K_V1").</summary>
    public IReadOnlyDictionary<string, string> Weights { get; }

    /// <summary>The network metrics this bundle can compute, in MindEye's column order.</summary>
    public IReadOnlyList<FeatureMetric> Metrics { get; }

    /// <summary>Where each network runs, by name.</summary>
    public IReadOnlyDictionary<string, string> Devices => _networks.ToDictionary(n => n.Key, n => n.Value.Network.Device);

    /// <summary>Opens an evaluation bundle: reads the manifest, checks every file's SHA-256 and each graph's outputs.</summary>
    /// <param name="path">The bundle folder.</param>
    /// <param name="options">Runtime options (default CPU).</param>
    /// <returns>The opened bundle.</returns>
    /// <exception cref="MalformedFileException">The folder, manifest or a file is missing or malformed, or a checksum or graph contract fails.</exception>
    public static EvaluationBundle Open(string path, EvaluationBundleOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new EvaluationBundleOptions();
        var root = Path.GetFullPath(path);
        var manifestPath = Path.Combine(root, ManifestFileName);
        if (!File.Exists(manifestPath))
        {
            throw new EvaluationBundleException(manifestPath, Directory.Exists(root) ? "no evaluation.json: not an evaluation bundle" : "the folder does not exist");
        }

        var source = new ConfigSource(manifestPath, e => new EvaluationBundleException(manifestPath, e.Message, e.Inner));
        var manifestBytes = ConfigJson.ReadFile(manifestPath, source);
        var manifest = ParseManifest(ConfigJson.ParseObject(manifestBytes, source));
        var opened = new Dictionary<string, (IFeatureNetwork, ImagePreprocessor)>();
        try
        {
            foreach (var (name, _) in manifest.Weights)
            {
                var model = Path.Combine(root, name, "model.onnx");
                var config = Path.Combine(root, name, "preprocessor_config.json");
                foreach (var file in new[] { model, config })
                {
                    var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
                    if (!File.Exists(file))
                    {
                        throw new EvaluationBundleException(file, $"missing; evaluation.json lists network '{name}'");
                    }

                    if (!manifest.Files.TryGetValue(relative, out var expected))
                    {
                        throw new EvaluationBundleException(manifestPath, $"files has no SHA-256 for '{relative}'");
                    }

                    if (options.VerifyChecksums)
                    {
                        using var stream = File.OpenRead(file);
                        var actual = Convert.ToHexStringLower(SHA256.HashData(stream));
                        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
                        {
                            throw new EvaluationBundleException(file, $"SHA-256 is {actual}, evaluation.json says {expected}");
                        }
                    }
                }

                var preprocessor = ImagePreprocessor.Load(config);
                var network = OnnxFeatureNetwork.Open(name, model, options);
                opened[name] = (network, preprocessor);
                var wanted = FeatureMetric.MindEye.Where(m => m.Network == name).Select(m => m.Output).ToArray();
                var missing = wanted.Except(network.OutputNames).ToArray();
                if (!network.InputNames.Contains("pixel_values") || missing.Length > 0)
                {
                    throw new EvaluationBundleException(model, $"expected input 'pixel_values' and outputs {string.Join(", ", wanted)}; it has inputs {string.Join(", ", network.InputNames)} and outputs {string.Join(", ", network.OutputNames)}");
                }
            }
        }
        catch
        {
            foreach (var (network, _) in opened.Values)
            {
                network.Dispose();
            }

            throw;
        }

        return new EvaluationBundle(root, Convert.ToHexStringLower(SHA256.HashData(manifestBytes)), manifest.CommonSize, manifest.PixelSize, manifest.Weights, opened);
    }

    /// <summary>Features of <paramref name="images"/> (already at <see cref="CommonSize"/>) for each of <see cref="Metrics"/>.</summary>
    internal Dictionary<string, float[]> Extract(IReadOnlyList<RgbImage> images, int batchSize, CancellationToken cancellationToken)
    {
        var features = new Dictionary<string, float[]>();
        foreach (var group in Metrics.GroupBy(m => m.Network))
        {
            var (network, preprocessor) = _networks[group.Key];
            var outputs = group.Select(m => m.Output).ToArray();
            var parts = outputs.Select(_ => new List<float>()).ToArray();
            foreach (var batch in images.Chunk(Math.Max(1, batchSize)))
            {
                var values = network.Run(preprocessor.Process(batch), outputs, cancellationToken);
                for (var o = 0; o < outputs.Length; o++)
                {
                    parts[o].AddRange(values[o]);
                }
            }

            foreach (var (metric, o) in group.Select((m, o) => (m, o)))
            {
                features[metric.Key] = parts[o].ToArray();
            }
        }

        return features;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var (network, _) in _networks.Values)
        {
            network.Dispose();
        }

        _networks.Clear();
    }

    private static Manifest ParseManifest(ConfigObject root)
    {
        var format = root.Optional("format") is { ValueKind: JsonValueKind.String } f ? f.GetString() : null;
        if (format != Format)
        {
            throw root.Source.Fail($"format must be \"{Format}\", found {(format is null ? "none" : $"\"{format}\"")}");
        }

        var commonSize = root.RequiredInt("common_size", 11, 4096);
        var pixelSize = root.RequiredInt("pixel_size", 11, 4096);
        var networks = root.RequiredObject("networks", "an object of name → {\"weights\": \"…\"}");
        var weights = new Dictionary<string, string>();
        foreach (var network in networks.Properties)
        {
            if (!NetworkNames.Contains(network.Name))
            {
                throw root.Source.Fail($"networks.{network.Name} is not one of {string.Join(", ", NetworkNames)}");
            }

            weights[network.Name] = ConfigJson.Object(network.Value, networks.Key(network.Name), root.Source, "an object with the weights' name")
                .RequiredString("weights");
        }

        var files = root.RequiredObject("files", "an object of relative path → SHA-256");
        var sums = new Dictionary<string, string>();
        foreach (var file in files.Properties)
        {
            sums[file.Name] = file.Value.ValueKind == JsonValueKind.String && file.Value.GetString() is { Length: 64 } s
                ? s
                : throw ConfigJson.WrongType(files.Key(file.Name), "a 64-digit hex SHA-256", file.Value, root.Source);
        }

        return new Manifest(commonSize, pixelSize, weights, sums);
    }

    private sealed record Manifest(int CommonSize, int PixelSize, IReadOnlyDictionary<string, string> Weights, IReadOnlyDictionary<string, string> Files);
}
