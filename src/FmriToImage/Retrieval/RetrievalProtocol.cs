using System.Numerics.Tensors;
using FmriToImage.Numerics;

namespace FmriToImage.Retrieval;

/// <summary>
/// MindEye's retrieval evaluation: draws of <c>way</c> test items; within a draw, each brain embedding retrieves the
/// image embedding most similar to it by cosine similarity (image retrieval, "fwd") and each image embedding the most
/// similar brain embedding (brain retrieval, "bwd"); top-1 accuracy averaged over all items of all draws.
/// </summary>
/// <remarks>
/// MindEye draws its batches of 300 from the test set with replacement (webdataset <c>resampled=True</c>), so a batch
/// can repeat an item; here a draw is <c>way</c> distinct items (without replacement), which is the protocol's intent
/// and makes a draw of all items deterministic. Draws come from <see cref="Random"/> seeded with the seed (its seeded
/// sequence is the same on every platform). Ties go to the lower index.
/// </remarks>
public static class RetrievalProtocol
{
    /// <summary>Evaluates paired brain and image embeddings (row i of each belongs to test item i).</summary>
    /// <param name="brainEmbeddings">count × dimension floats, row-major.</param>
    /// <param name="imageEmbeddings">count × dimension floats, row-major, in the same item order.</param>
    /// <param name="dimension">Floats per embedding.</param>
    /// <param name="way">Items per draw (MindEye: 300); at most the item count.</param>
    /// <param name="draws">Number of draws (MindEye: 30).</param>
    /// <param name="seed">Seeds the draws.</param>
    /// <returns>Top-1 accuracy in both directions.</returns>
    /// <exception cref="ArgumentException">The matrices differ in size, or <paramref name="way"/> exceeds the item count.</exception>
    public static RetrievalAccuracy TopOne(ReadOnlySpan<float> brainEmbeddings, ReadOnlySpan<float> imageEmbeddings, int dimension, int way = 300, int draws = 30, int seed = 0)
    {
        var count = EmbeddingMath.RowCount(brainEmbeddings.Length, dimension, nameof(brainEmbeddings));
        if (imageEmbeddings.Length != brainEmbeddings.Length)
        {
            throw new ArgumentException($"Brain and image embeddings must pair row for row: {brainEmbeddings.Length} vs {imageEmbeddings.Length} floats.", nameof(imageEmbeddings));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(way, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(draws, 1);
        if (way > count)
        {
            throw new ArgumentException($"A {way}-way protocol needs at least {way} items; there are {count}.", nameof(way));
        }

        var brains = brainEmbeddings.ToArray();
        var images = imageEmbeddings.ToArray();
        EmbeddingMath.NormalizeRows(brains, dimension);
        EmbeddingMath.NormalizeRows(images, dimension);

        var random = new Random(seed);
        var order = Enumerable.Range(0, count).ToArray();
        var similarity = new float[way * way];
        var column = new float[way];
        long forward = 0;
        long backward = 0;
        for (var draw = 0; draw < draws; draw++)
        {
            // A partial Fisher–Yates shuffle picks `way` distinct items.
            for (var i = 0; i < way; i++)
            {
                var j = random.Next(i, count);
                (order[i], order[j]) = (order[j], order[i]);
            }

            for (var i = 0; i < way; i++)
            {
                var brain = brains.AsSpan(order[i] * dimension, dimension);
                for (var j = 0; j < way; j++)
                {
                    similarity[(i * way) + j] = TensorPrimitives.Dot(brain, images.AsSpan(order[j] * dimension, dimension));
                }
            }

            for (var i = 0; i < way; i++)
            {
                if (TensorPrimitives.IndexOfMax(similarity.AsSpan(i * way, way)) == i)
                {
                    forward++;
                }

                for (var r = 0; r < way; r++)
                {
                    column[r] = similarity[(r * way) + i];
                }

                if (TensorPrimitives.IndexOfMax(column) == i)
                {
                    backward++;
                }
            }
        }

        var total = (double)way * draws;
        return new RetrievalAccuracy(forward / total, backward / total, way, draws);
    }
}
