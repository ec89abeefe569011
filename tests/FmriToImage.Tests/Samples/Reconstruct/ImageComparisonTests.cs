using System.Text.Json;
using FmriToImage.Data.Npy;
using FmriToImage.Evaluation;
using FmriToImage.Imaging;
using FmriToImage.Samples.Reconstruct;

namespace FmriToImage.Tests.Samples.Reconstruct;

/// <summary>
/// The sample's PixCorr/SSIM of a reconstruction of another size than the image seen. Reference values:
/// tests/fixtures/evaluation/make_resized_fixtures.py (PIL bilinear resize to the ground truth's size, then NumPy and
/// scikit-image in float64, MindEye's recipe).
/// </summary>
public sealed class ImageComparisonTests
{
    private static readonly JsonElement Expected = JsonDocument.Parse(File.ReadAllText(TestFiles.Fixture("evaluation", "expected_resized.json"))).RootElement;

    private static RgbImage[] Images(string file)
    {
        var tensor = NpyFile.Read<byte>(TestFiles.Fixture("evaluation", file));
        int count = (int)tensor.Lengths[0], height = (int)tensor.Lengths[1], width = (int)tensor.Lengths[2];
        var bytes = tensor.ToArray();
        return Enumerable.Range(0, count).Select(i => new RgbImage(width, height, bytes.AsSpan(i * height * width * 3, height * width * 3).ToArray())).ToArray();
    }

    [Fact]
    public void Larger_and_smaller_reconstructions_are_scored_at_the_seen_images_size_as_the_reference()
    {
        var truths = Images("ground_truth.npy");
        RgbImage[] reconstructions = [.. Images("reconstructions_54x48.npy"), .. Images("reconstructions_30x27.npy")];
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
        var truths = Images("ground_truth.npy");
        var reconstructions = Images("reconstructions.npy");
        var (p, s) = ImageComparison.Compare(truths[0], reconstructions[0]);
        Assert.Equal(PixelCorrelation.Compute(truths[0], reconstructions[0]), p);
        Assert.Equal(StructuralSimilarity.Compute(truths[0], reconstructions[0]), s);
    }
}
