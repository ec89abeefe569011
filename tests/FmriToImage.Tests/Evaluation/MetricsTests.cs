using System.Text.Json;
using FmriToImage.Data.Npy;
using FmriToImage.Evaluation;
using FmriToImage.Imaging;

namespace FmriToImage.Tests.Evaluation;

/// <summary>Reference values: tests/fixtures/evaluation/make_evaluation_fixtures.py (NumPy + scikit-image, MindEye's recipe).</summary>
public sealed class MetricsTests
{
    private static readonly JsonElement Expected = JsonDocument.Parse(File.ReadAllText(TestFiles.Fixture("evaluation", "expected.json"))).RootElement;

    /// <summary>The images of an (N, H, W, 3) uint8 fixture in tests/fixtures/evaluation/.</summary>
    internal static RgbImage[] Images(string file)
    {
        var tensor = NpyFile.Read<byte>(TestFiles.Fixture("evaluation", file));
        int count = (int)tensor.Lengths[0], height = (int)tensor.Lengths[1], width = (int)tensor.Lengths[2];
        var bytes = tensor.ToArray();
        return Enumerable.Range(0, count).Select(i => new RgbImage(width, height, bytes.AsSpan(i * height * width * 3, height * width * 3).ToArray())).ToArray();
    }

    [Fact]
    public void PixCorr_matches_numpy()
    {
        var truths = Images("ground_truth.npy");
        var reconstructions = Images("reconstructions.npy");
        var expected = Expected.GetProperty("pixcorr").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (var i = 0; i < truths.Length; i++)
        {
            Assert.Equal(expected[i], PixelCorrelation.Compute(truths[i], reconstructions[i]), 10);
        }
    }

    [Fact]
    public void Ssim_matches_scikit_image()
    {
        var truths = Images("ground_truth.npy");
        var reconstructions = Images("reconstructions.npy");
        var expected = Expected.GetProperty("ssim").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (var i = 0; i < truths.Length; i++)
        {
            Assert.Equal(expected[i], StructuralSimilarity.Compute(truths[i], reconstructions[i]), 9);
        }
    }

    [Fact]
    public void Columnwise_ssim_matches_mindeyes_scikit_image_call()
    {
        // make_evaluation_fixtures.py: structural_similarity(rec, gt, multichannel=True, …) on 2-D grey images, which
        // scikit-image 0.19 scores column by column; the script also checks it against an explicit float64 NumPy
        // column-wise computation (to 1e-12).
        var truths = Images("ground_truth.npy");
        var reconstructions = Images("reconstructions.npy");
        var expected = Expected.GetProperty("ssim_mindeye").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var twoD = Expected.GetProperty("ssim").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (var i = 0; i < truths.Length; i++)
        {
            Assert.Equal(expected[i], ColumnwiseStructuralSimilarity.Compute(truths[i], reconstructions[i]), 12);
        }

        // The two forms are different numbers on these images: nobody may use one for the other.
        Assert.True(Enumerable.Range(0, twoD.Length).Max(i => Math.Abs(twoD[i] - expected[i])) > 0.05);
    }

    [Fact]
    public void Correlation_distance_matches_scipy()
    {
        var truths = NpyFile.Read<float>(TestFiles.Fixture("evaluation", "gt_features.npy")).ToArray();
        var reconstructions = NpyFile.Read<float>(TestFiles.Fixture("evaluation", "recon_features.npy")).ToArray();
        var expected = Expected.GetProperty("correlation_distance").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var actual = CorrelationDistance.PerPair(truths, reconstructions, 20);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 12);
        }

        Assert.Equal(expected.Average(), CorrelationDistance.Mean(truths, reconstructions, 20), 12);
    }

    [Fact]
    public void Two_way_identification_per_reconstruction_matches_numpy()
    {
        var truths = NpyFile.Read<float>(TestFiles.Fixture("evaluation", "gt_features.npy")).ToArray();
        var reconstructions = NpyFile.Read<float>(TestFiles.Fixture("evaluation", "recon_features.npy")).ToArray();
        var expected = Expected.GetProperty("two_way_per_reconstruction").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(expected, TwoWayIdentification.PerReconstruction(truths, reconstructions, 20));
    }

    [Fact]
    public void Two_way_identification_matches_numpy()
    {
        var truths = NpyFile.Read<float>(TestFiles.Fixture("evaluation", "gt_features.npy")).ToArray();
        var reconstructions = NpyFile.Read<float>(TestFiles.Fixture("evaluation", "recon_features.npy")).ToArray();
        Assert.Equal(Expected.GetProperty("two_way").GetDouble(), TwoWayIdentification.Compute(truths, reconstructions, 20), 12);
    }

    [Fact]
    public void Identical_images_score_one_and_mismatched_sizes_are_refused()
    {
        var image = Images("ground_truth.npy")[0];
        Assert.Equal(1.0, PixelCorrelation.Compute(image, image), 12);
        Assert.Equal(1.0, StructuralSimilarity.Compute(image, image), 12);
        Assert.Equal(1.0, ColumnwiseStructuralSimilarity.Compute(image, image), 12);
        Assert.Throws<ArgumentException>(() => ColumnwiseStructuralSimilarity.Compute(new RgbImage(30, 10), new RgbImage(30, 10)));
        Assert.Throws<ArgumentException>(() => PixelCorrelation.Compute(image, new RgbImage(10, 10)));
        Assert.Throws<ArgumentException>(() => StructuralSimilarity.Compute(new RgbImage(8, 8), new RgbImage(8, 8)));
    }
}
