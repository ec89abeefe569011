using System.Numerics.Tensors;

namespace FmriToImage.Adaptation;

/// <summary>
/// Solves A·Z = B for a symmetric positive definite A (m × m) and many right-hand sides (m × r), in float64, in place:
/// A = L·Lᵀ (lower triangle of the buffer), then forward and back substitution, row-oriented so that every inner
/// loop is a vectorised span operation.
/// </summary>
internal static class CholeskySolver
{
    /// <summary>Overwrites the lower triangle of <paramref name="a"/> with L; false when A is not positive definite.</summary>
    public static bool Factor(Span<double> a, int m)
    {
        for (var i = 0; i < m; i++)
        {
            var rowI = a.Slice(i * m, m);
            for (var j = 0; j <= i; j++)
            {
                var rowJ = a.Slice(j * m, j);
                var s = rowI[j] - TensorPrimitives.Dot<double>(rowI[..j], rowJ);
                if (i == j)
                {
                    if (!(s > 0))
                    {
                        return false;
                    }

                    rowI[i] = Math.Sqrt(s);
                }
                else
                {
                    rowI[j] = s / a[(j * m) + j];
                }
            }
        }

        return true;
    }

    /// <summary>Replaces <paramref name="b"/> (m × <paramref name="r"/>, row-major) by A⁻¹·B, with L from <see cref="Factor"/>.</summary>
    public static void Solve(ReadOnlySpan<double> l, int m, Span<double> b, int r)
    {
        for (var i = 0; i < m; i++)
        {
            var rowI = b.Slice(i * r, r);
            for (var j = 0; j < i; j++)
            {
                var lij = l[(i * m) + j];
                if (lij != 0)
                {
                    TensorPrimitives.MultiplyAdd<double>(b.Slice(j * r, r), -lij, rowI, rowI);
                }
            }

            TensorPrimitives.Divide<double>(rowI, l[(i * m) + i], rowI);
        }

        for (var i = m - 1; i >= 0; i--)
        {
            var rowI = b.Slice(i * r, r);
            for (var j = i + 1; j < m; j++)
            {
                var lji = l[(j * m) + i];
                if (lji != 0)
                {
                    TensorPrimitives.MultiplyAdd<double>(b.Slice(j * r, r), -lji, rowI, rowI);
                }
            }

            TensorPrimitives.Divide<double>(rowI, l[(i * m) + i], rowI);
        }
    }
}
