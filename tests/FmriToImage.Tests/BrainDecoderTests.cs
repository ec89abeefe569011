using FmriToImage.Data;
using FmriToImage.Imaging;
using FmriToImage.Numerics;
using FmriToImage.Retrieval;

namespace FmriToImage.Tests;

/// <summary>
/// The decoder end to end on the tiny fixture bundle (tests/fixtures/make_bundle.py: untrained stand-in graphs with
/// the real contracts), so every stage runs; reconstruction quality is tested on the demo bundle.
/// </summary>
public sealed class BrainDecoderTests : IDisposable
{
    private readonly BrainDecoder decoder = BrainDecoder.Load(TestFiles.Fixture("bundle", "tiny"));

    public void Dispose() => decoder.Dispose();

    private static float[] Trial(int seed) => Enumerable.Range(0, 100).Select(i => MathF.Sin((i * 0.37f) + seed)).ToArray();

    [Fact]
    public void Loads_the_bundle_with_both_pipelines()
    {
        Assert.Equal("subj01", decoder.Subject);
        Assert.Equal(100, decoder.VoxelCount);
        Assert.Equal([ReconstructionPipeline.CaptionImg2Img, ReconstructionPipeline.Unclip], decoder.AvailablePipelines);
    }

    [Fact]
    public void Caption_img2img_votes_for_the_model_whose_final_image_stays_closest_to_its_low_level_image()
    {
        var result = decoder.Reconstruct(Trial(1));

        Assert.Equal(ReconstructionPipeline.CaptionImg2Img, result.Pipeline);
        Assert.Equal(2, result.LowLevelImages.Count); // lowlevel_all and lowlevel_set1
        Assert.Equal(2, result.Captions.Count);
        Assert.Equal(["lowlevel_all", "lowlevel_set1"], result.Candidates.Select(c => c.Model));
        Assert.Equal(10, result.Request.Steps); // fmri_decoder.json caption_img2img defaults
        Assert.Equal(0.6, result.Request.Strength);
        Assert.Equal(32, result.Image.Width);
        Assert.Contains(result.Timings, t => t.Key == "diffusion");

        // The vote, computed directly: cosine(embed(low-level image of m), embed(final image of m)), argmax.
        var scores = result.Candidates.Select((c, m) => Cosine(decoder.EmbedImage(result.LowLevelImages[m]), decoder.EmbedImage(c.Image))).ToArray();
        for (var m = 0; m < scores.Length; m++)
        {
            Assert.Equal(scores[m], result.Candidates[m].Score, 4);
            Assert.Equal(result.Captions[m], result.Candidates[m].Caption);
        }

        Assert.Equal(Array.IndexOf(scores, scores.Max()), result.ChosenIndex);
        Assert.Same(result.Candidates[result.ChosenIndex].Image, result.Image);
    }

    [Fact]
    public void Unclip_picks_the_sample_closest_to_the_brains_predicted_embedding()
    {
        var voxels = Trial(2);
        var result = decoder.Reconstruct(voxels, new ReconstructionRequest { Pipeline = ReconstructionPipeline.Unclip, Samples = 3 });

        Assert.Equal(3, result.Candidates.Count);
        Assert.Single(result.LowLevelImages); // img2img from the low-level latent (strength 0.85 < 1)
        var target = decoder.EmbedBrain(voxels);
        var scores = result.Candidates.Select(c => Cosine(target, decoder.EmbedImage(c.Image))).ToArray();
        Assert.Equal(Array.IndexOf(scores, scores.Max()), result.ChosenIndex);

        var fromNoise = decoder.Reconstruct(voxels, new ReconstructionRequest { Pipeline = ReconstructionPipeline.Unclip, Strength = 1.0 });
        Assert.Empty(fromNoise.LowLevelImages);
        Assert.Equal(1.0, fromNoise.Request.Strength);
    }

    [Fact]
    public void The_same_seed_gives_the_same_images_alone_or_concurrently_and_another_seed_differs()
    {
        var voxels = Trial(3);
        var request = new ReconstructionRequest { Seed = 11 };
        var serial = decoder.Reconstruct(voxels, request);
        var parallel = Enumerable.Range(0, 4).AsParallel().Select(_ => decoder.Reconstruct(voxels, request)).ToArray();
        foreach (var other in parallel.Append(decoder.Reconstruct(voxels, request)))
        {
            // Within one grey level: ONNX Runtime may sum in another order for buffers at another address.
            AssertSameImage(serial.Image, other.Image);
            Assert.Equal(serial.ChosenIndex, other.ChosenIndex);
        }

        var reseeded = decoder.Reconstruct(voxels, request with { Seed = 12, Strength = 1.0 });
        var first = decoder.Reconstruct(voxels, request with { Strength = 1.0 });
        Assert.NotEqual(first.Image.PixelArray, reseeded.Image.PixelArray);
    }

    [Fact]
    public void Bad_voxels_are_refused_before_any_network_runs()
    {
        var count = Assert.Throws<VoxelCountMismatchException>(() => decoder.Reconstruct(new float[99]));
        Assert.Equal(100, count.Expected);
        Assert.Equal(99, count.Actual);
        Assert.Contains("subj01", count.Message);

        var voxels = Trial(4);
        voxels[17] = float.NaN;
        var nan = Assert.Throws<NonFiniteValueException>(() => decoder.Reconstruct(voxels));
        Assert.Equal(17, nan.Voxel);
    }

    [Fact]
    public async Task Reconstructing_all_trials_streams_results_and_stops_on_cancellation_after_yielding_completed_ones()
    {
        var data = Enumerable.Range(0, 3).SelectMany(Trial).ToArray();
        var trials = new VoxelMatrix(data, 3, 100);
        var reports = new List<ReconstructionProgress>();
        var all = new List<Reconstruction>();
        await foreach (var result in decoder.ReconstructAllAsync(trials, new ReconstructionRequest { Steps = 2 }, new InlineProgress(reports.Add)))
        {
            all.Add(result);
        }

        Assert.Equal(3, all.Count);
        Assert.Equal([1, 2, 3], reports.Select(r => r.Completed));

        using var cancellation = new CancellationTokenSource();
        var yielded = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in decoder.ReconstructAllAsync(trials, new ReconstructionRequest { Steps = 2 }, cancellationToken: cancellation.Token))
            {
                yielded++;
                cancellation.Cancel();
            }
        });
        Assert.Equal(1, yielded);

        var wrong = new VoxelMatrix(new float[2 * 50], 2, 50);
        await Assert.ThrowsAsync<VoxelCountMismatchException>(async () =>
        {
            await foreach (var _ in decoder.ReconstructAllAsync(wrong))
            {
            }
        });
    }

    [Fact]
    public void Retrieval_ranks_candidate_images_by_the_brains_embedding()
    {
        var images = Enumerable.Range(0, 5).Select(i =>
        {
            var image = new RgbImage(32, 32);
            image.Fill((byte)(40 * i), (byte)(255 - (40 * i)), (byte)(i * 17));
            return image;
        }).ToArray();
        using var index = EmbeddingIndex.Create(images.SelectMany(decoder.EmbedImage).ToArray(), decoder.EmbedImage(images[0]).Length);
        var hits = decoder.Retrieve(Trial(5), index, 3);
        Assert.Equal(3, hits.Length);
        Assert.True(hits[0].Score >= hits[1].Score && hits[1].Score >= hits[2].Score);
        var direct = new float[5];
        EmbeddingMath.CosineSimilarities(decoder.EmbedBrain(Trial(5)), images.SelectMany(decoder.EmbedImage).ToArray(), decoder.EmbedImage(images[0]).Length, direct);
        Assert.Equal(Array.IndexOf(direct, direct.Max()), hits[0].Index);
    }

    private static float Cosine(float[] a, float[] b)
    {
        var scores = new float[1];
        EmbeddingMath.CosineSimilarities(a, b, a.Length, scores);
        return scores[0];
    }

    private static void AssertSameImage(RgbImage expected, RgbImage actual)
    {
        Assert.Equal(expected.PixelArray.Length, actual.PixelArray.Length);
        for (var i = 0; i < expected.PixelArray.Length; i++)
        {
            Assert.True(Math.Abs(expected.PixelArray[i] - actual.PixelArray[i]) <= 1, $"byte {i}: {expected.PixelArray[i]} vs {actual.PixelArray[i]}");
        }
    }

    private sealed class InlineProgress(Action<ReconstructionProgress> report) : IProgress<ReconstructionProgress>
    {
        public void Report(ReconstructionProgress value) => report(value);
    }
}
