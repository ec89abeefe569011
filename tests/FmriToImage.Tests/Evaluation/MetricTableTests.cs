using System.Text.Json;
using FmriToImage.Evaluation;
using FmriToImage.Imaging;

namespace FmriToImage.Tests.Evaluation;

/// <summary>
/// The whole metric table on real-size networks (random weights) against tests/fixtures/evaluation/make_table_reference.py:
/// float64 NumPy / scikit-image / SciPy / PyTorch on the same images and the same networks, written beside the bundle.
/// </summary>
/// <remarks>
/// Tolerances: PixCorr and both SSIMs use the same 8-bit images on both sides (PIL's resize, which
/// <see cref="ImageResampler"/> matches exactly) and are computed in double, so they agree to 1e-9. The network
/// metrics differ only by ONNX Runtime's float32 arithmetic against float64 PyTorch: features agree to about 1e-4
/// relative (checked on the first pair), so a correlation distance agrees to 1e-4; a two-way identification value is
/// a count of strict comparisons between correlations, which float32 can flip only when two correlations of one
/// reconstruction lie within ~1e-5 of each other, so it must match to within one comparison (1 / (N (N − 1)) of the
/// mean, 1/56 here) — and on these images it matches exactly.
/// </remarks>
public sealed class MetricTableTests
{
    private const int Pairs = 8;

    [EvaluationBundleFact]
    public void The_table_matches_the_float64_reference_per_metric()
    {
        var bundlePath = EvaluationBundleFactAttribute.BundlePath;
        var referencePath = Path.Combine(bundlePath, "reference_table.json");
        Assert.True(File.Exists(Path.Combine(bundlePath, "evaluation.json")), $"No evaluation bundle at {bundlePath} (CI must build it: .ci/run).");
        Assert.True(File.Exists(referencePath), $"No {referencePath}: run tests/fixtures/evaluation/make_table_reference.py --bundle {bundlePath}.");
        var reference = JsonDocument.Parse(File.ReadAllText(referencePath)).RootElement;

        using var bundle = EvaluationBundle.Open(bundlePath);
        Assert.Equal(reference.GetProperty("evaluation_json_sha256").GetString(), bundle.Sha256);
        var evaluator = new ReconstructionEvaluator(bundle, batchSize: 4);
        var truths = evaluator.Prepare(Load("gt"));
        var reconstructions = evaluator.Prepare(Load("recon"));
        var table = evaluator.Score(truths, reconstructions);

        var expected = reference.GetProperty("metrics");
        Assert.Equal(
            expected.EnumerateObject().Select(p => p.Name).Order(),
            table.Metrics.Select(m => m.Key).Order());
        foreach (var metric in table.Metrics)
        {
            var want = expected.GetProperty(metric.Key);
            var perPair = want.GetProperty("per_pair").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var tolerance = metric.Key switch
            {
                "pixcorr" or "ssim" or "ssim_2d" => 1e-9,
                "effnet_b" or "swav" => 1e-4,
                _ => 1.0 / (Pairs - 1) + 1e-12,   // one comparison of one reconstruction
            };
            for (var i = 0; i < Pairs; i++)
            {
                Assert.True(Math.Abs(perPair[i] - metric.PerPair[i]) <= tolerance, $"{metric.Key} pair {i}: {metric.PerPair[i]} vs reference {perPair[i]} (tolerance {tolerance})");
            }

            var valueTolerance = metric.Key is "pixcorr" or "ssim" or "ssim_2d" or "effnet_b" or "swav" ? tolerance : 1.0 / (Pairs * (Pairs - 1)) + 1e-12;
            Assert.True(Math.Abs(want.GetProperty("value").GetDouble() - metric.Value) <= valueTolerance, $"{metric.Key}: {metric.Value} vs reference {want.GetProperty("value").GetDouble()}");
        }

        // The features themselves, first pair, first 64 values: float32 ONNX Runtime vs float64 PyTorch.
        foreach (var feature in reference.GetProperty("first_pair_features_first_64").EnumerateObject())
        {
            var want = feature.Value.GetProperty("ground_truth").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            var have = truths.Features[feature.Name].AsSpan(0, want.Length).ToArray();
            var scale = want.Max(Math.Abs) + 1e-30;
            for (var k = 0; k < want.Length; k++)
            {
                Assert.True(Math.Abs(want[k] - have[k]) <= 1e-3 * scale, $"{feature.Name}[{k}]: {have[k]} vs reference {want[k]} (scale {scale})");
            }
        }
    }

    [EvaluationBundleFact]
    public void A_bundle_with_a_changed_file_is_refused()
    {
        var copy = Directory.CreateTempSubdirectory("evalbundle").FullName;
        try
        {
            var source = EvaluationBundleFactAttribute.BundlePath;
            File.Copy(Path.Combine(source, "evaluation.json"), Path.Combine(copy, "evaluation.json"));
            Directory.CreateDirectory(Path.Combine(copy, "alexnet"));
            File.Copy(Path.Combine(source, "alexnet", "model.onnx"), Path.Combine(copy, "alexnet", "model.onnx"));
            File.WriteAllText(Path.Combine(copy, "alexnet", "preprocessor_config.json"), "{\"size\": {\"shortest_edge\": 300}}");
            var e = Assert.Throws<EvaluationBundleException>(() => EvaluationBundle.Open(copy));
            Assert.Contains("SHA-256", e.Message);
        }
        finally
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    [Fact]
    public void Without_a_bundle_the_pixel_metrics_follow_the_protocol()
    {
        var evaluator = new ReconstructionEvaluator(null);
        var truths = evaluator.Prepare(Load("gt"));
        var table = evaluator.Score(truths, evaluator.Prepare(Load("recon")));
        Assert.Equal(["pixcorr", "ssim", "ssim_2d"], table.Metrics.Select(m => m.Key));
        Assert.All(truths.PixelImages, i => Assert.Equal((425, 425), (i.Width, i.Height)));

        // make_table_reference.py: PIL resizes (64 → 256 → 425, 96 → 256 → 425), NumPy and scikit-image 0.19 in float64.
        var expected = JsonDocument.Parse(File.ReadAllText(TestFiles.Fixture("evaluation", "table", "expected_pixels.json"))).RootElement;
        foreach (var metric in table.Metrics)
        {
            var want = expected.GetProperty(metric.Key).EnumerateArray().Select(e => e.GetDouble()).ToArray();
            for (var i = 0; i < Pairs; i++)
            {
                Assert.Equal(want[i], metric.PerPair[i], 9);
            }
        }

        var same = evaluator.Score(truths, truths);
        Assert.All(same.Metrics, m => Assert.Equal(1.0, m.Value, 12));
    }

    [Theory]
    [InlineData(null, "no evaluation.json")]
    [InlineData("[1]", "expected a JSON object")]
    [InlineData("{\"format\": \"x\"}", "format must be")]
    [InlineData("{\"format\": \"fmri2img-evaluation/1\", \"common_size\": 256, \"pixel_size\": 425, \"networks\": {\"vgg\": {\"weights\": \"w\"}}, \"files\": {}}", "networks.vgg is not one of")]
    [InlineData("{\"format\": \"fmri2img-evaluation/1\", \"common_size\": 5, \"pixel_size\": 425}", "common_size must be")]
    [InlineData("{\"format\": \"fmri2img-evaluation/1\", \"common_size\": 256, \"pixel_size\": 425, \"networks\": {\"alexnet\": {\"weights\": \"w\"}}, \"files\": {}}", "missing")]
    public void Malformed_manifests_are_named(string? manifest, string expected)
    {
        var folder = Directory.CreateTempSubdirectory("evalbundle").FullName;
        try
        {
            if (manifest is not null)
            {
                File.WriteAllText(Path.Combine(folder, "evaluation.json"), manifest);
            }

            var e = Assert.Throws<EvaluationBundleException>(() => EvaluationBundle.Open(folder));
            Assert.Contains(expected, e.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static RgbImage[] Load(string prefix) =>
        Enumerable.Range(0, Pairs).Select(i => RgbImage.LoadPng(TestFiles.Fixture("evaluation", "table", $"{prefix}_{i}.png"))).ToArray();
}
