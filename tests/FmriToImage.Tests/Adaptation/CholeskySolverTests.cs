using FmriToImage.Adaptation;

namespace FmriToImage.Tests.Adaptation;

public sealed class CholeskySolverTests
{
    [Fact]
    public void Solves_a_positive_definite_system_with_several_right_hand_sides()
    {
        // A = [[4, 2, 0.4], [2, 5, 1], [0.4, 1, 3]]; Z chosen, B = A·Z computed by hand-checkable products.
        double[] a = [4, 2, 0.4, 2, 5, 1, 0.4, 1, 3];
        double[] z = [1, -2, 0.5, 3, -1, 0.25];
        var b = new double[6];
        for (var i = 0; i < 3; i++)
        {
            for (var c = 0; c < 2; c++)
            {
                for (var k = 0; k < 3; k++)
                {
                    b[(i * 2) + c] += a[(i * 3) + k] * z[(k * 2) + c];
                }
            }
        }

        Assert.True(CholeskySolver.Factor(a, 3));
        CholeskySolver.Solve(a, 3, b, 2);
        for (var i = 0; i < z.Length; i++)
        {
            Assert.Equal(z[i], b[i], 1e-12);
        }
    }

    [Fact]
    public void An_indefinite_matrix_does_not_factor()
    {
        double[] a = [1, 2, 2, 1];
        Assert.False(CholeskySolver.Factor(a, 2));
    }
}
