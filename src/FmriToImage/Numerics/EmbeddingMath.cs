using System.Numerics.Tensors;

namespace FmriToImage.Numerics;

/// <summary>
/// Cosine-similarity kernels over embedding matrices stored row-major (one embedding of <c>dimension</c> floats per
/// row), span in, span out, on <see cref="TensorPrimitives"/>. Used by retrieval, CLIP voting and best-of-N selection.
/// </summary>
internal static class EmbeddingMath
{
    /// <summary>Scales every row of <paramref name="matrix"/> to unit L2 norm in place; all-zero rows stay zero.</summary>
    /// <param name="matrix">rows × <paramref name="dimension"/> floats.</param>
    /// <param name="dimension">Floats per row, ≥ 1.</param>
    /// <exception cref="ArgumentException">The length is not a whole number of rows.</exception>
    public static void NormalizeRows(Span<float> matrix, int dimension)
    {
        var rows = RowCount(matrix.Length, dimension, nameof(matrix));
        for (var r = 0; r < rows; r++)
        {
            var row = matrix.Slice(r * dimension, dimension);
            var norm = TensorPrimitives.Norm(row);
            if (norm > 0)
            {
                TensorPrimitives.Divide(row, norm, row);
            }
        }
    }

    /// <summary>
    /// The cosine similarity of <paramref name="query"/> with every row of <paramref name="matrix"/>:
    /// destination[r] = q·m_r / (|q| |m_r|), 0 where either vector is all zeros.
    /// </summary>
    /// <param name="query"><paramref name="dimension"/> floats.</param>
    /// <param name="matrix">rows × <paramref name="dimension"/> floats.</param>
    /// <param name="dimension">Floats per row.</param>
    /// <param name="destination">One similarity per row.</param>
    /// <exception cref="ArgumentException">Lengths disagree with <paramref name="dimension"/> or with each other.</exception>
    public static void CosineSimilarities(ReadOnlySpan<float> query, ReadOnlySpan<float> matrix, int dimension, Span<float> destination)
    {
        var rows = RowCount(matrix.Length, dimension, nameof(matrix));
        if (query.Length != dimension)
        {
            throw new ArgumentException($"The query has {query.Length} floats; the embeddings have {dimension}.", nameof(query));
        }

        if (destination.Length != rows)
        {
            throw new ArgumentException($"The destination has room for {destination.Length} similarities; the matrix has {rows} rows.", nameof(destination));
        }

        var queryNorm = TensorPrimitives.Norm(query);
        for (var r = 0; r < rows; r++)
        {
            var row = matrix.Slice(r * dimension, dimension);
            var rowNorm = TensorPrimitives.Norm(row);
            destination[r] = queryNorm > 0 && rowNorm > 0 ? TensorPrimitives.Dot(query, row) / (queryNorm * rowNorm) : 0f;
        }
    }

    /// <summary>The cosine similarity of row i of <paramref name="a"/> with row i of <paramref name="b"/>, for every i.</summary>
    /// <param name="a">rows × <paramref name="dimension"/> floats.</param>
    /// <param name="b">The same number of rows.</param>
    /// <param name="dimension">Floats per row.</param>
    /// <param name="destination">One similarity per row.</param>
    /// <exception cref="ArgumentException">Lengths disagree.</exception>
    public static void PairedCosineSimilarities(ReadOnlySpan<float> a, ReadOnlySpan<float> b, int dimension, Span<float> destination)
    {
        var rows = RowCount(a.Length, dimension, nameof(a));
        if (b.Length != a.Length || destination.Length != rows)
        {
            throw new ArgumentException($"Paired similarities need equal matrices and one slot per row: a has {a.Length} floats, b {b.Length}, destination {destination.Length} slots for {rows} rows.", nameof(b));
        }

        for (var r = 0; r < rows; r++)
        {
            var x = a.Slice(r * dimension, dimension);
            var y = b.Slice(r * dimension, dimension);
            var norms = TensorPrimitives.Norm(x) * TensorPrimitives.Norm(y);
            destination[r] = norms > 0 ? TensorPrimitives.Dot(x, y) / norms : 0f;
        }
    }

    internal static int RowCount(int length, int dimension, string parameter)
    {
        if (dimension < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(dimension), dimension, "The embedding dimension must be at least 1.");
        }

        if (length % dimension != 0)
        {
            throw new ArgumentException($"{length} floats are not a whole number of {dimension}-float rows.", parameter);
        }

        return length / dimension;
    }
}
