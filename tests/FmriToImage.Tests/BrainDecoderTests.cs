using FmriToImage.Bundle;
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
    private readonly BrainDecoder _decoder = BrainDecoder.Load(TestFiles.Fixture("bundle", "tiny"));

    public void Dispose() => _decoder.Dispose();

    private static float[] Trial(int seed) => Enumerable.Range(0, 100).Select(i => MathF.Sin((i * 0.37f) + seed)).ToArray();

    [Fact]
    public void Loads_the_bundle_with_both_pipelines()
    {
        Assert.Equal("subj01", _decoder.Subject);
        Assert.Equal(100, _decoder.VoxelCount);
        Assert.Equal([ReconstructionPipeline.CaptionImg2Img, ReconstructionPipeline.Unclip, ReconstructionPipeline.MindEye2], _decoder.AvailablePipelines);
        Assert.True(_decoder.HasPrior);
        Assert.Throws<ArgumentOutOfRangeException>(() => BrainDecoder.Load(TestFiles.Fixture("bundle", "tiny"), new BrainDecoderOptions { TrialBatchSize = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => BrainDecoder.Load(TestFiles.Fixture("bundle", "tiny"), new BrainDecoderOptions { IntraOpThreads = -1 }));
    }

    [Fact]
    public void Networks_say_their_thread_count_small_encoders_on_one_only_when_the_library_chooses()
    {
        // The tiny bundle's graphs are all small: encoders get 1 thread, image-sized networks one per core (0).
        Assert.All(_decoder.Networks, n => Assert.Equal(n.Kind is BundleComponentKind.Unet or BundleComponentKind.VaeDecoder or BundleComponentKind.VaeEncoder or BundleComponentKind.Prior ? 0 : 1, n.IntraOpThreads));
        Assert.Contains(_decoder.Networks, n => n.IntraOpThreads == 1);
        using var explicitThreads = BrainDecoder.Load(TestFiles.Fixture("bundle", "tiny"), new BrainDecoderOptions { IntraOpThreads = 2 });
        Assert.All(explicitThreads.Networks, n => Assert.Equal(2, n.IntraOpThreads));
    }

    [Fact]
    public void Caption_img2img_votes_for_the_model_whose_final_image_stays_closest_to_its_low_level_image()
    {
        var result = _decoder.Reconstruct(Trial(1));

        Assert.Equal(ReconstructionPipeline.CaptionImg2Img, result.Pipeline);
        Assert.Equal(2, result.LowLevelImages.Count); // lowlevel_all and lowlevel_set1
        Assert.Equal(2, result.Captions.Count);
        Assert.Equal(["lowlevel_all", "lowlevel_set1"], result.Candidates.Select(c => c.Model));
        Assert.Equal(10, result.Request.Steps); // fmri_decoder.json caption_img2img defaults
        Assert.Equal(0.6, result.Request.Strength);
        Assert.Equal(32, result.Image.Width);
        Assert.Contains(result.Timings, t => t.Key == "diffusion");

        // The vote, computed directly: cosine(embed(low-level image of m), embed(final image of m)), argmax.
        var scores = result.Candidates.Select((c, m) => Cosine(_decoder.EmbedImage(result.LowLevelImages[m]), _decoder.EmbedImage(c.Image))).ToArray();
        for (var m = 0; m < scores.Length; m++)
        {
            Assert.Equal(scores[m], result.Candidates[m].Score, 4);
            Assert.Equal(result.Captions[m], result.Candidates[m].Caption);
        }

        Assert.Equal(Array.IndexOf(scores, scores.Max()), result.ChosenIndex);
        Assert.Same(result.Candidates[result.ChosenIndex].Image, result.Image);
        Assert.Same(result.LowLevelImages[result.ChosenIndex], result.ChosenLowLevelImage); // one sample per model here
    }

    [Fact]
    public void Unclip_picks_the_sample_closest_to_the_brains_predicted_embedding()
    {
        var voxels = Trial(2);
        var result = _decoder.Reconstruct(voxels, new ReconstructionRequest { Pipeline = ReconstructionPipeline.Unclip, Samples = 3 });

        Assert.Equal(3, result.Candidates.Count);
        Assert.Single(result.LowLevelImages); // img2img from the low-level latent (strength 0.85 < 1)
        Assert.Same(result.LowLevelImages[0], result.ChosenLowLevelImage);
        var target = _decoder.EmbedBrain(voxels);
        var scores = result.Candidates.Select(c => Cosine(target, _decoder.EmbedImage(c.Image))).ToArray();
        Assert.Equal(Array.IndexOf(scores, scores.Max()), result.ChosenIndex);

        var fromNoise = _decoder.Reconstruct(voxels, new ReconstructionRequest { Pipeline = ReconstructionPipeline.Unclip, Strength = 1.0 });
        Assert.Empty(fromNoise.LowLevelImages);
        Assert.Null(fromNoise.ChosenLowLevelImage);
        Assert.Equal(1.0, fromNoise.Request.Strength);
    }

    [Theory]
    [InlineData(ReconstructionPipeline.CaptionImg2Img)]
    [InlineData(ReconstructionPipeline.Unclip)]
    public void The_same_seed_gives_bit_identical_images_alone_or_concurrently_and_another_seed_differs(ReconstructionPipeline pipeline)
    {
        // Every buffer a graph reads is 64-byte aligned, so equal numbers are summed in one order on every call.
        var voxels = Trial(3);
        var request = new ReconstructionRequest { Pipeline = pipeline, Seed = 11 };
        var serial = _decoder.Reconstruct(voxels, request);
        var again = _decoder.Reconstruct(voxels, request);
        Assert.Equal(serial.Image.ToPng(), again.Image.ToPng());
        Assert.Equal(serial.Candidates.Select(c => c.Score), again.Candidates.Select(c => c.Score));

        var parallel = Enumerable.Range(0, 4).AsParallel().WithDegreeOfParallelism(4).Select(_ => _decoder.Reconstruct(voxels, request)).ToArray();
        foreach (var other in parallel)
        {
            Assert.Equal(serial.Image.PixelArray, other.Image.PixelArray);
            Assert.Equal(serial.ChosenIndex, other.ChosenIndex);
            Assert.Equal(serial.Candidates.Select(c => c.Score), other.Candidates.Select(c => c.Score));
        }

        var reseeded = _decoder.Reconstruct(voxels, request with { Seed = 12, Strength = 1.0 });
        var first = _decoder.Reconstruct(voxels, request with { Strength = 1.0 });
        Assert.NotEqual(first.Image.PixelArray, reseeded.Image.PixelArray);
    }

    [Fact]
    public void Unclip_runs_the_bundles_prior_by_default_and_skips_it_on_request()
    {
        var voxels = Trial(2);
        var request = new ReconstructionRequest { Pipeline = ReconstructionPipeline.Unclip, Strength = 1.0, Seed = 3 };
        var withPrior = _decoder.Reconstruct(voxels, request);
        Assert.True(withPrior.UsedPrior);
        Assert.Equal(true, withPrior.Request.UsePrior);
        Assert.Equal(5, withPrior.Request.PriorSteps); // fmri_decoder.json pipelines.unclip.prior_steps
        Assert.Equal(0f, withPrior.Request.PriorEta);
        Assert.Equal(["voxel encoders", "prior", "low-level decoding", "diffusion", "decoding", "selection"], withPrior.Timings.Select(t => t.Key));

        var without = _decoder.Reconstruct(voxels, request with { UsePrior = false });
        Assert.False(without.UsedPrior);
        Assert.Null(without.Request.PriorSteps);
        Assert.DoesNotContain(without.Timings, t => t.Key == "prior");
        Assert.NotEqual(withPrior.Image.PixelArray, without.Image.PixelArray); // the UNet saw other tokens

        var moreSteps = _decoder.Reconstruct(voxels, request with { PriorSteps = 8, PriorEta = 0.5f });
        Assert.Equal(8, moreSteps.Request.PriorSteps);
        Assert.NotEqual(withPrior.Image.PixelArray, moreSteps.Image.PixelArray);

        var caption = _decoder.Reconstruct(voxels, new ReconstructionRequest { Steps = 2 });
        Assert.False(caption.UsedPrior);
        Assert.Equal(false, caption.Request.UsePrior);
    }

    [Fact]
    public void Prior_settings_are_checked_before_any_network_runs()
    {
        var voxels = Trial(2);
        var unclip = new ReconstructionRequest { Pipeline = ReconstructionPipeline.Unclip };
        var noPrior = Assert.Throws<ArgumentException>(() => _decoder.Reconstruct(voxels, new ReconstructionRequest { UsePrior = true }));
        Assert.Contains("pipelines with a prior (Unclip, MindEye2); CaptionImg2Img has none", noPrior.Message);
        var steps = Assert.Throws<ArgumentOutOfRangeException>(() => _decoder.Reconstruct(voxels, unclip with { PriorSteps = 101 }));
        Assert.Contains("[1, 100]", steps.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => _decoder.Reconstruct(voxels, unclip with { PriorEta = float.NaN }));
    }

    [Theory]
    [InlineData(1001, null, null, 0f, "ReconstructionRequest.Steps is 1001; it must lie in [1, 1000] (num_train_timesteps of scheduler/scheduler_config.json).")]
    [InlineData(0, null, null, 0f, "ReconstructionRequest.Steps is 0")]
    [InlineData(null, 1.5, null, 0f, "ReconstructionRequest.Strength is 1.5; it must lie in [0, 1].")]
    [InlineData(null, double.NaN, null, 0f, "ReconstructionRequest.Strength is NaN")]
    [InlineData(null, null, double.PositiveInfinity, 0f, "ReconstructionRequest.Guidance is Infinity; it must be a finite number.")]
    [InlineData(null, null, null, -0.5f, "ReconstructionRequest.Eta is -0.5; it must be a finite number ≥ 0.")]
    public void Diffusion_settings_are_checked_before_any_network_runs(int? steps, double? strength, double? guidance, float eta, string expected)
    {
        // A cancelled token would stop the first network; the range check must come before it, in both entry points.
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        foreach (var pipeline in new[] { ReconstructionPipeline.CaptionImg2Img, ReconstructionPipeline.Unclip })
        {
            var request = new ReconstructionRequest { Pipeline = pipeline, Steps = steps, Strength = strength, Guidance = guidance, Eta = eta };
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => _decoder.Reconstruct(Trial(1), request, cancelled.Token));
            Assert.Equal("request", error.ParamName);
            Assert.Contains(expected, error.Message);

            var matrix = new VoxelMatrix(Trial(1).Concat(Trial(2)).ToArray(), 2, 100);
            Assert.ThrowsAny<ArgumentOutOfRangeException>(() => _decoder.ReconstructAllAsync(matrix, request, cancellationToken: cancelled.Token).ToBlockingEnumerable().ToList());
        }
    }

    [Fact]
    public void Every_out_of_range_setting_is_named_at_once()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => _decoder.Reconstruct(Trial(1), new ReconstructionRequest { Steps = 5000, Strength = 2, Samples = 0 }));
        Assert.Contains("Steps is 5000", error.Message);
        Assert.Contains("Strength is 2", error.Message);
        Assert.Contains("Samples is 0", error.Message);
    }

    [Fact]
    public void A_bundle_without_a_prior_runs_unclip_without_one_and_refuses_to_be_asked_for_one()
    {
        using var temp = new Bundle.TempBundle();
        Directory.Delete(temp.PathOf("prior"), recursive: true);
        temp.EditManifest(m =>
        {
            m["files"]!.AsObject().Remove("prior/model.onnx");
            m["files"]!.AsObject().Remove("prior/scheduler_config.json");
        });
        using var plain = BrainDecoder.Load(temp.Root);
        Assert.False(plain.HasPrior);
        var unclip = new ReconstructionRequest { Pipeline = ReconstructionPipeline.Unclip, Steps = 2 };
        var result = plain.Reconstruct(Trial(2), unclip);
        Assert.False(result.UsedPrior);
        var error = Assert.Throws<FmriToImage.Bundle.BundleComponentMissingException>(() => plain.Reconstruct(Trial(2), unclip with { UsePrior = true }));
        Assert.Equal("prior/model.onnx", error.RelativePath);
    }

    [Fact]
    public void Bad_voxels_are_refused_before_any_network_runs()
    {
        var count = Assert.Throws<VoxelCountMismatchException>(() => _decoder.Reconstruct(new float[99]));
        Assert.Equal(100, count.Expected);
        Assert.Equal(99, count.Actual);
        Assert.Contains("subj01", count.Message);

        var voxels = Trial(4);
        voxels[17] = float.NaN;
        var nan = Assert.Throws<NonFiniteValueException>(() => _decoder.Reconstruct(voxels));
        Assert.Equal(17, nan.Voxel);
    }

    [Fact]
    public async Task Reconstructing_all_trials_streams_results_and_stops_on_cancellation_after_yielding_completed_ones()
    {
        var data = Enumerable.Range(0, 3).SelectMany(Trial).ToArray();
        var trials = new VoxelMatrix(data, 3, 100);
        var reports = new List<ReconstructionProgress>();
        var all = new List<Reconstruction>();
        await foreach (var result in _decoder.ReconstructAllAsync(trials, new ReconstructionRequest { Steps = 2 }, new InlineProgress(reports.Add)))
        {
            all.Add(result);
        }

        Assert.Equal(3, all.Count);
        Assert.Equal([1, 2, 3], reports.Select(r => r.Completed));
        Assert.Equal([0, 1, 2], reports.Select(r => r.Trial));
        Assert.All(reports, r => Assert.Equal(3, r.TrialCount));

        using var cancellation = new CancellationTokenSource();
        var yielded = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in _decoder.ReconstructAllAsync(trials, new ReconstructionRequest { Steps = 2 }, cancellationToken: cancellation.Token))
            {
                yielded++;
                cancellation.Cancel();
            }
        });
        Assert.Equal(1, yielded);

        data[(2 * 100) + 7] = float.PositiveInfinity;
        var yieldedBeforeError = 0;
        var nonFinite = await Assert.ThrowsAsync<NonFiniteValueException>(async () =>
        {
            await foreach (var _ in _decoder.ReconstructAllAsync(new VoxelMatrix(data, 3, 100)))
            {
                yieldedBeforeError++;
            }
        });
        Assert.Equal((2, 7), (nonFinite.Trial, nonFinite.Voxel));
        Assert.Equal(0, yieldedBeforeError); // every row is checked before any network runs

        var wrong = new VoxelMatrix(new float[2 * 50], 2, 50);
        await Assert.ThrowsAsync<VoxelCountMismatchException>(async () =>
        {
            await foreach (var _ in _decoder.ReconstructAllAsync(wrong))
            {
            }
        });
    }

    [Theory]
    [InlineData(ReconstructionPipeline.CaptionImg2Img, 2)]
    [InlineData(ReconstructionPipeline.Unclip, 2)]
    [InlineData(ReconstructionPipeline.Unclip, 8)]
    public async Task Batched_trials_give_what_one_at_a_time_gives_in_order(ReconstructionPipeline pipeline, int batchSize)
    {
        using var batched = BrainDecoder.Load(TestFiles.Fixture("bundle", "tiny"), new BrainDecoderOptions { TrialBatchSize = batchSize });
        var trials = new VoxelMatrix(Enumerable.Range(0, 3).SelectMany(t => Trial(10 + t)).ToArray(), 3, 100);
        var request = new ReconstructionRequest { Pipeline = pipeline, Seed = 4, Steps = 3 };
        var results = new List<Reconstruction>();
        await foreach (var result in batched.ReconstructAllAsync(trials, request))
        {
            results.Add(result);
        }

        Assert.Equal(3, results.Count);
        for (var t = 0; t < 3; t++)
        {
            // docs/pipelines.md: equal within one grey level (a batch row can sit at another alignment than a lone trial).
            var alone = _decoder.Reconstruct(trials.Row(t), request);
            AssertSameImage(alone.Image, results[t].Image);
            Assert.Equal(alone.ChosenIndex, results[t].ChosenIndex);
            Assert.Equal(alone.Captions, results[t].Captions);
            Assert.Equal(alone.UsedPrior, results[t].UsedPrior);
            Assert.Equal(alone.Timings.Select(s => s.Key), results[t].Timings.Select(s => s.Key));
            for (var m = 0; m < alone.LowLevelImages.Count; m++)
            {
                AssertSameImage(alone.LowLevelImages[m], results[t].LowLevelImages[m]);
            }
        }

        var brains = batched.EmbedBrain(trials);
        var dimension = brains.Length / 3;
        for (var t = 0; t < 3; t++)
        {
            Assert.Equal(_decoder.EmbedBrain(trials.Row(t)), brains.AsSpan(t * dimension, dimension).ToArray(), (a, b) => Math.Abs(a - b) <= 1e-6f);
        }

        var images = results.Select(r => r.Image).ToArray();
        var embedded = batched.EmbedImages(images);
        Assert.Equal(images.SelectMany(_decoder.EmbedImage), embedded, (a, b) => Math.Abs(a - b) <= 1e-6f);
    }

    [Fact]
    public async Task Cancelling_inside_a_batch_yields_the_completed_trials_first()
    {
        using var batched = BrainDecoder.Load(TestFiles.Fixture("bundle", "tiny"), new BrainDecoderOptions { TrialBatchSize = 3 });
        var trials = new VoxelMatrix(Enumerable.Range(0, 5).SelectMany(Trial).ToArray(), 5, 100);
        using var cancellation = new CancellationTokenSource();
        var yielded = new List<Reconstruction>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var result in batched.ReconstructAllAsync(trials, new ReconstructionRequest { Pipeline = ReconstructionPipeline.Unclip, Steps = 2 }, cancellationToken: cancellation.Token))
            {
                yielded.Add(result);
                if (yielded.Count == 2)
                {
                    cancellation.Cancel(); // the third trial of the first batch was prepared but never completes
                }
            }
        });
        Assert.Equal(2, yielded.Count);
        Assert.All(yielded, r => Assert.True(r.UsedPrior));
    }

    [Fact]
    public void Retrieval_arguments_are_checked_before_the_encoder_runs()
    {
        using var index = EmbeddingIndex.Create(new float[3 * 16].Select((_, i) => MathF.Cos(i)).ToArray(), 16);
        using var narrow = EmbeddingIndex.Create(new float[3 * 8].Select((_, i) => MathF.Cos(i)).ToArray(), 8);
        var nan = Trial(1);
        nan[0] = float.NaN; // would fail in the voxel check, so the errors below come first
        Assert.Throws<ArgumentOutOfRangeException>(() => _decoder.Retrieve(nan, index, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => _decoder.Retrieve(nan, index, 4));
        var width = Assert.Throws<ArgumentException>(() => _decoder.Retrieve(nan, narrow, 1));
        Assert.Contains("8-float embeddings but the brain's 'image_embedding' has 16", width.Message);
        Assert.Throws<ArgumentNullException>(() => _decoder.Caption(null!));
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
        using var index = EmbeddingIndex.Create(images.SelectMany(_decoder.EmbedImage).ToArray(), _decoder.EmbedImage(images[0]).Length);
        var hits = _decoder.Retrieve(Trial(5), index, 3);
        Assert.Equal(3, hits.Length);
        Assert.True(hits[0].Score >= hits[1].Score && hits[1].Score >= hits[2].Score);
        var direct = new float[5];
        EmbeddingMath.CosineSimilarities(_decoder.EmbedBrain(Trial(5)), images.SelectMany(_decoder.EmbedImage).ToArray(), _decoder.EmbedImage(images[0]).Length, direct);
        Assert.Equal(Array.IndexOf(direct, direct.Max()), hits[0].Index);
    }

    [Fact]
    public void Retrieval_is_unavailable_when_the_image_encoder_lacks_its_preprocessing()
    {
        Assert.Null(_decoder.RetrievalUnavailableReason);

        using var temp = new Bundle.TempBundle();
        File.Delete(temp.PathOf("image_encoder/preprocessor_config.json"));
        temp.EditManifest(m => m["files"]!.AsObject().Remove("image_encoder/preprocessor_config.json"));
        using var decoder = BrainDecoder.Load(temp.Root);
        Assert.False(decoder.CanEmbedImages);
        Assert.Contains("image_encoder/preprocessor_config.json", decoder.RetrievalUnavailableReason);
        Assert.Throws<FmriToImage.Bundle.BundleComponentMissingException>(() => decoder.EmbedImage(new RgbImage(32, 32)));
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
