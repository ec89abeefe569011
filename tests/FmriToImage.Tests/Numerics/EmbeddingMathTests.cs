using FmriToImage.Numerics;
using FsCheck;
using FsCheck.Fluent;

namespace FmriToImage.Tests.Numerics;

public sealed class EmbeddingMathTests
{
    [Fact]
    public void Cosine_similarity_against_a_scalar_double_loop()
    {
        var property = Prop.ForAll(
            Gen.Choose(1, 40).ToArbitrary(),
            Gen.Choose(1, 9).ToArbitrary(),
            Gen.Choose(0, 10_000).ToArbitrary(),
            (int dimension, int rows, int seed) =>
            {
                var random = new Random(seed);
                var query = Enumerable.Range(0, dimension).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
                var matrix = Enumerable.Range(0, dimension * rows).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
                var result = new float[rows];
                EmbeddingMath.CosineSimilarities(query, matrix, dimension, result);
                for (var r = 0; r < rows; r++)
                {
                    double dot = 0, qq = 0, mm = 0;
                    for (var k = 0; k < dimension; k++)
                    {
                        var m = matrix[(r * dimension) + k];
                        dot += query[k] * m;
                        qq += query[k] * query[k];
                        mm += m * m;
                    }

                    if (Math.Abs((dot / Math.Sqrt(qq * mm)) - result[r]) > 1e-5)
                    {
                        return false;
                    }
                }

                return true;
            });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), property);
    }

    [Fact]
    public void Normalized_rows_have_unit_norm_and_zero_rows_stay_zero()
    {
        float[] matrix = [3, 4, 0, 0, -1, 0];
        EmbeddingMath.NormalizeRows(matrix, 2);
        Assert.Equal([0.6f, 0.8f, 0, 0, -1, 0], matrix);
        var similarities = new float[3];
        EmbeddingMath.CosineSimilarities([1, 0], matrix, 2, similarities);
        Assert.Equal([0.6f, 0f, -1f], similarities);
        Assert.Throws<ArgumentException>(() => EmbeddingMath.NormalizeRows(new float[5], 2));
    }
}
