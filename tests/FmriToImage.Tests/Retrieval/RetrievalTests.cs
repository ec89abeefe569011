using System.Text.Json;
using FmriToImage.Data.Npy;
using FmriToImage.Retrieval;
using FsCheck;
using FsCheck.Fluent;

namespace FmriToImage.Tests.Retrieval;

/// <summary>Reference values: tests/fixtures/retrieval/make_retrieval_fixtures.py (float64 NumPy).</summary>
public sealed class RetrievalTests
{
    private static readonly float[] Brains = NpyFile.Read<float>(TestFiles.Fixture("retrieval", "brains.npy")).ToArray();
    private static readonly float[] Images = NpyFile.Read<float>(TestFiles.Fixture("retrieval", "images.npy")).ToArray();
    private static readonly JsonElement Expected = JsonDocument.Parse(File.ReadAllText(TestFiles.Fixture("retrieval", "expected.json"))).RootElement;

    [Fact]
    public void Top_k_matches_the_numpy_ranking_and_scores()
    {
        using var index = EmbeddingIndex.Create(Images, 8);
        Assert.Equal(40, index.Count);
        for (var q = 0; q < 3; q++)
        {
            var hits = index.TopK(Brains.AsSpan(q * 8, 8), 5);
            var expectedIndices = Expected.GetProperty("top5_for_first_three_brains")[q].EnumerateArray().Select(e => e.GetInt32());
            Assert.Equal(expectedIndices, hits.Select(h => h.Index));
            var expectedScores = Expected.GetProperty("top5_scores")[q].EnumerateArray().Select(e => e.GetDouble()).ToArray();
            for (var i = 0; i < 5; i++)
            {
                Assert.Equal(expectedScores[i], hits[i].Score, 5);
            }
        }
    }

    [Fact]
    public void A_memory_mapped_index_gives_the_same_hits_as_an_in_memory_one()
    {
        var path = Path.Combine(Path.GetTempPath(), $"index-{Guid.NewGuid():N}.npy");
        NpyFile.Write(path, Images, [40, 8]);
        try
        {
            using var mapped = EmbeddingIndex.OpenNpy(path);
            using var inMemory = EmbeddingIndex.Create(Images, 8);
            for (var q = 0; q < 40; q++)
            {
                Assert.Equal(inMemory.TopK(Brains.AsSpan(q * 8, 8), 3).Select(h => h.Index), mapped.TopK(Brains.AsSpan(q * 8, 8), 3).Select(h => h.Index));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_non_float32_matrix_is_refused_for_memory_mapping()
    {
        var path = Path.Combine(Path.GetTempPath(), $"index-{Guid.NewGuid():N}.npy");
        NpyFile.Write(path, new double[16], [2, 8]);
        try
        {
            var error = Assert.Throws<NpyFormatException>(() => EmbeddingIndex.OpenNpy(path));
            Assert.Contains("float32", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Searching_a_disposed_index_throws_instead_of_reading_unmapped_memory()
    {
        var path = Path.Combine(Path.GetTempPath(), $"index-{Guid.NewGuid():N}.npy");
        NpyFile.Write(path, Images, [40, 8]);
        try
        {
            var mapped = EmbeddingIndex.OpenNpy(path);
            mapped.Dispose();
            mapped.Dispose(); // idempotent
            Assert.Throws<ObjectDisposedException>(() => mapped.TopK(Brains.AsSpan(0, 8), 3));

            var inMemory = EmbeddingIndex.Create(Images, 8);
            inMemory.Dispose();
            Assert.Throws<ObjectDisposedException>(() => inMemory.Similarities(Brains.AsSpan(0, 8), new float[40]));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Disposing_during_searches_never_faults_them()
    {
        // Each search either completes on a still-mapped file or throws ObjectDisposedException before reading it.
        var path = Path.Combine(Path.GetTempPath(), $"index-{Guid.NewGuid():N}.npy");
        NpyFile.Write(path, Images, [40, 8]);
        try
        {
            for (var round = 0; round < 20; round++)
            {
                var mapped = EmbeddingIndex.OpenNpy(path);
                var searches = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
                {
                    for (var i = 0; i < 200; i++)
                    {
                        try
                        {
                            mapped.TopK(Brains.AsSpan(0, 8), 3);
                        }
                        catch (ObjectDisposedException)
                        {
                            return;
                        }
                    }
                })).ToArray();
                mapped.Dispose();
                await Task.WhenAll(searches);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void A_memory_mapped_file_with_non_finite_values_is_refused_with_row_and_column(float bad)
    {
        var path = Path.Combine(Path.GetTempPath(), $"index-{Guid.NewGuid():N}.npy");
        var values = (float[])Images.Clone();
        values[(3 * 8) + 5] = bad;
        NpyFile.Write(path, values, [40, 8]);
        try
        {
            var error = Assert.Throws<NpyFormatException>(() => EmbeddingIndex.OpenNpy(path));
            Assert.Contains("row 3, column 5", error.Message);
            using var afterwards = File.Open(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None); // the mapping was released
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_truncated_memory_mapped_file_is_refused()
    {
        var path = Path.Combine(Path.GetTempPath(), $"index-{Guid.NewGuid():N}.npy");
        NpyFile.Write(path, Images, [40, 8]);
        try
        {
            using (var stream = File.Open(path, FileMode.Open))
            {
                stream.SetLength(stream.Length - 4);
            }

            var error = Assert.Throws<NpyFormatException>(() => EmbeddingIndex.OpenNpy(path));
            Assert.Contains("needs 1280 data bytes but 1276 remain", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void The_all_items_protocol_matches_the_numpy_top_one_in_both_directions()
    {
        var accuracy = RetrievalProtocol.TopOne(Brains, Images, 8, way: 40, draws: 1);
        Assert.Equal(Expected.GetProperty("all_way_top1_brain_to_image").GetDouble(), accuracy.BrainToImage, 10);
        Assert.Equal(Expected.GetProperty("all_way_top1_image_to_brain").GetDouble(), accuracy.ImageToBrain, 10);
        Assert.Equal(1.0 / 40, accuracy.Chance);
    }

    [Fact]
    public void Drawn_subsets_are_seeded_and_smaller_ways_are_easier()
    {
        var a = RetrievalProtocol.TopOne(Brains, Images, 8, way: 10, draws: 30, seed: 7);
        Assert.Equal(a, RetrievalProtocol.TopOne(Brains, Images, 8, way: 10, draws: 30, seed: 7));
        Assert.True(a.BrainToImage > RetrievalProtocol.TopOne(Brains, Images, 8, way: 40, draws: 1).BrainToImage);
        Assert.Throws<ArgumentException>(() => RetrievalProtocol.TopOne(Brains, Images, 8, way: 41));
    }

    [Fact]
    public void Perfect_embeddings_are_always_retrieved_and_scaling_does_not_matter()
    {
        var property = Prop.ForAll(
            Gen.Choose(2, 30).ToArbitrary(),
            Gen.Choose(1, 1000).ToArbitrary(),
            (int count, int seed) =>
            {
                var random = new Random(seed);
                var images = Enumerable.Range(0, count * 6).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
                var brains = images.Select((v, i) => v * (1 + (i / 6))).ToArray(); // each row scaled by its own factor
                var accuracy = RetrievalProtocol.TopOne(brains, images, 6, way: count, draws: 2, seed: seed);
                return accuracy.BrainToImage == 1.0 && accuracy.ImageToBrain == 1.0;
            });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(100), property);
    }
}
