using FmriToImage.Numerics;

namespace FmriToImage.Pipelines;

/// <summary>
/// The selection rules of the published pipelines, over batched embedding matrices: CLIP voting across bagged models
/// (the seed student study) and best-of-N by similarity to a target embedding (MindEye's second-order selection).
/// </summary>
internal static class EnsembleVoting
{
    /// <summary>
    /// CLIP voting: each bagged model m produced a low-level image and a final image; its score is the cosine
    /// similarity between the embeddings of the two, and the highest score wins (ties: the first model).
    /// </summary>
    /// <param name="lowLevelEmbeddings">models × dimension: the image embedding of each model's low-level image.</param>
    /// <param name="finalEmbeddings">models × dimension: the image embedding of each model's final image, same order.</param>
    /// <param name="dimension">Floats per embedding.</param>
    /// <param name="scores">Receives each model's score.</param>
    /// <returns>The index of the winning model.</returns>
    /// <exception cref="ArgumentException">The matrices or <paramref name="scores"/> disagree in size.</exception>
    public static int Vote(ReadOnlySpan<float> lowLevelEmbeddings, ReadOnlySpan<float> finalEmbeddings, int dimension, Span<float> scores)
    {
        EmbeddingMath.PairedCosineSimilarities(lowLevelEmbeddings, finalEmbeddings, dimension, scores);
        return ArgMax(scores);
    }

    /// <summary>
    /// Best-of-N: the candidate whose embedding is most similar (cosine) to <paramref name="target"/>, e.g. the brain's
    /// predicted image embedding (ties: the first candidate).
    /// </summary>
    /// <param name="target">dimension floats.</param>
    /// <param name="candidateEmbeddings">candidates × dimension floats.</param>
    /// <param name="dimension">Floats per embedding.</param>
    /// <param name="scores">Receives each candidate's similarity.</param>
    /// <returns>The index of the chosen candidate.</returns>
    /// <exception cref="ArgumentException">Lengths disagree.</exception>
    public static int SelectClosest(ReadOnlySpan<float> target, ReadOnlySpan<float> candidateEmbeddings, int dimension, Span<float> scores)
    {
        EmbeddingMath.CosineSimilarities(target, candidateEmbeddings, dimension, scores);
        return ArgMax(scores);
    }

    private static int ArgMax(ReadOnlySpan<float> scores)
    {
        if (scores.IsEmpty)
        {
            throw new ArgumentException("There is nothing to choose from: no candidates.", nameof(scores));
        }

        var best = 0;
        for (var i = 1; i < scores.Length; i++)
        {
            if (scores[i] > scores[best])
            {
                best = i;
            }
        }

        return best;
    }
}
