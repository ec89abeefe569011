using System.Text.Json;
using FmriToImage.Evaluation;
using FmriToImage.Imaging;
using FmriToImage.Samples.Reconstruct;
using FmriToImage.Tests.Evaluation;

namespace FmriToImage.Tests.Samples.Reconstruct;

/// <summary>
/// The sample's PixCorr/SSIM of a reconstruction of another size than the image seen. Reference values:
/// tests/fixtures/evaluation/make_resized_fixtures.py (PIL bilinear resize to the ground truth's size, then NumPy and
/// scikit-image in float64, MindEye's recipe).
/// </summary>
public sealed class ImageComparisonTests
{
    private static readonly JsonElement Expected = JsonDocument.Parse(File.ReadAllText(TestFiles.Fixture("evaluation", "expected_resized.json"))).RootElement;

    [Fact]
    public void Larger_and_smaller_reconstructions_are_scored_at_the_seen_images_size_as_the_reference()
    {
        var truths = MetricsTests.Images("ground_truth.npy");
        RgbImage[] reconstructions = [.. MetricsTests.Images("reconstructions_54x48.npy"), .. MetricsTests.Images("reconstructions_30x27.npy")];
        var pixCorr = Expected.GetProperty("pixcorr").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var ssim = Expected.GetProperty("ssim").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        Assert.Equal(truths.Length, reconstructions.Length);
        for (var i = 0; i < truths.Length; i++)
        {
            Assert.NotEqual(truths[i].Width, reconstructions[i].Width);
            var (p, s) = ImageComparison.Compare(truths[i], reconstructions[i]);
            Assert.Equal(pixCorr[i], p, 10);
            Assert.Equal(ssim[i], s, 9);
        }
    }

    [Fact]
    public void A_reconstruction_of_the_seen_images_size_is_compared_as_is()
    {
        var truths = MetricsTests.Images("ground_truth.npy");
        var reconstructions = MetricsTests.Images("reconstructions.npy");
        var (p, s) = ImageComparison.Compare(truths[0], reconstructions[0]);
        Assert.Equal(PixelCorrelation.Compute(truths[0], reconstructions[0]), p);
        Assert.Equal(StructuralSimilarity.Compute(truths[0], reconstructions[0]), s);
    }
}
