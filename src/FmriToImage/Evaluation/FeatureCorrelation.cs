using System.Numerics.Tensors;

namespace FmriToImage.Evaluation;

/// <summary>Pearson correlation between feature rows: rows centred and scaled to unit norm, so a dot product is r.</summary>
internal static class FeatureCorrelation
{
    /// <summary>The number of paired rows, after checking both matrices hold the same whole number of rows, at least <paramref name="minimum"/>.</summary>
    public static int PairedRows(ReadOnlySpan<float> groundTruthFeatures, ReadOnlySpan<float> reconstructionFeatures, int dimension, int minimum, string metric)
    {
        var count = Numerics.EmbeddingMath.RowCount(groundTruthFeatures.Length, dimension, nameof(groundTruthFeatures));
        if (reconstructionFeatures.Length != groundTruthFeatures.Length)
        {
            throw new ArgumentException($"Ground truth and reconstruction features must pair row for row: {groundTruthFeatures.Length} vs {reconstructionFeatures.Length} floats.", nameof(reconstructionFeatures));
        }

        if (count < minimum)
        {
            throw new ArgumentException($"{metric} needs at least {minimum} image pairs; there are {count}.", nameof(groundTruthFeatures));
        }

        return count;
    }

    /// <summary>Each row of a count × dimension matrix centred and scaled to unit norm (a constant row stays all zeros).</summary>
    public static double[] Standardize(ReadOnlySpan<float> matrix, int count, int dimension)
    {
        var result = new double[matrix.Length];
        for (var r = 0; r < count; r++)
        {
            var row = matrix.Slice(r * dimension, dimension);
            double mean = 0;
            foreach (var v in row)
            {
                mean += v;
            }

            mean /= dimension;
            double norm = 0;
            for (var k = 0; k < dimension; k++)
            {
                var centred = row[k] - mean;
                result[(r * dimension) + k] = centred;
                norm += centred * centred;
            }

            norm = Math.Sqrt(norm);
            for (var k = 0; k < dimension && norm > 0; k++)
            {
                result[(r * dimension) + k] /= norm;
            }
        }

        return result;
    }

    /// <summary>The dot product of row <paramref name="rowA"/> of <paramref name="a"/> and row <paramref name="rowB"/> of <paramref name="b"/>.</summary>
    public static double Dot(double[] a, int rowA, double[] b, int rowB, int dimension)
    {
        return TensorPrimitives.Dot(a.AsSpan(rowA * dimension, dimension), b.AsSpan(rowB * dimension, dimension));
    }
}
