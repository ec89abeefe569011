using System.Buffers;
using System.Numerics.Tensors;

namespace FmriToImage.Adaptation;

/// <summary>
/// Scores every λ by k-fold cross-validation in kernel space. For each λ and fold: Z = (K_TT + λI)⁻¹·K_TS by a
/// Cholesky solve (m × m, s right-hand sides; both buffers rented from the shared pool, not allocated per λ), then each held-out row's prediction
/// ŷ_h = ȳ_T + Σ_t Z[t, h]·(y_t − ȳ_T) — the dual ridge fit on the training rows applied to the held-out ones without
/// forming α or W. The folds of one λ run in parallel; their predictions fill disjoint rows of one n × D buffer, which
/// <see cref="PooledCorrelation"/> then scores.
/// </summary>
internal static class RidgeCrossValidation
{
    public static double[] Score(CenteredKernel kernel, double[] targets, int dimension, IReadOnlyList<double> lambdas, int folds,
        ParallelOptions parallel, IProgress<(SubjectAdapterStage Stage, int Done, int Total)>? progress)
    {
        var n = kernel.Trials;
        var fold = new KernelFold[folds];
        Parallel.For(0, folds, parallel, f =>
            fold[f] = KernelFold.Create(kernel, targets, dimension, ContiguousFolds.Start(f, n, folds), ContiguousFolds.Start(f + 1, n, folds)));

        var predictions = new double[(long)n * dimension];
        var scores = new double[lambdas.Count];
        for (var l = 0; l < lambdas.Count; l++)
        {
            var lambda = lambdas[l];
            var factored = new bool[folds];
            Parallel.For(0, folds, parallel, f => factored[f] = PredictHeldOut(fold[f], lambda, targets, dimension, predictions));
            var failed = Array.IndexOf(factored, false);
            if (failed >= 0)
            {
                var f = fold[failed];
                throw NotPositiveDefinite(lambda, $"the kernel of the {f.Training.Length} training trials of the fold holding trials {f.HeldStart}–{f.HeldEnd - 1}");
            }

            scores[l] = PooledCorrelation.Mean(predictions, targets, n, dimension);
            progress?.Report((SubjectAdapterStage.CrossValidation, l + 1, lambdas.Count));
        }

        return scores;
    }

    /// <summary>Fills the fold's rows of <paramref name="predictions"/>; false when K_TT + λI does not factor (thrown by the caller, on its thread).</summary>
    private static bool PredictHeldOut(KernelFold fold, double lambda, double[] targets, int dimension, double[] predictions)
    {
        var m = fold.Training.Length;
        var s = fold.HeldCount;
        var factorArray = ArrayPool<double>.Shared.Rent(m * m);
        var zArray = ArrayPool<double>.Shared.Rent(m * s);
        try
        {
            var factor = factorArray.AsSpan(0, m * m);
            fold.TrainingKernel.CopyTo(factor);
            AddToDiagonal(factor, m, lambda);
            if (!CholeskySolver.Factor(factor, m))
            {
                return false;
            }

            var z = zArray.AsSpan(0, m * s);
            fold.CrossKernel.CopyTo(z);
            CholeskySolver.Solve(factor, m, z, s);
            Predict(fold, z, targets, dimension, predictions);
            return true;
        }
        finally
        {
            ArrayPool<double>.Shared.Return(factorArray);
            ArrayPool<double>.Shared.Return(zArray);
        }
    }

    /// <summary>ŷ_h = ȳ_T·(1 − Σ_t Z[t, h]) + Σ_t Z[t, h]·y_t for every held-out row h.</summary>
    private static void Predict(KernelFold fold, ReadOnlySpan<double> z, double[] targets, int dimension, double[] predictions)
    {
        var m = fold.Training.Length;
        var s = fold.HeldCount;
        for (var h = 0; h < s; h++)
        {
            var row = predictions.AsSpan((fold.HeldStart + h) * dimension, dimension);
            double weightSum = 0;
            row.Clear();
            for (var i = 0; i < m; i++)
            {
                var zih = z[(i * s) + h];
                weightSum += zih;
                TensorPrimitives.MultiplyAdd<double>(targets.AsSpan(fold.Training[i] * dimension, dimension), zih, row, row);
            }

            TensorPrimitives.MultiplyAdd<double>(fold.TargetMean, 1 - weightSum, row, row);
        }
    }

    /// <summary>Adds <paramref name="lambda"/> to the diagonal of the m × m matrix <paramref name="matrix"/>.</summary>
    public static void AddToDiagonal(Span<double> matrix, int m, double lambda)
    {
        for (var i = 0; i < m; i++)
        {
            matrix[(i * m) + i] += lambda;
        }
    }

    /// <summary>K + λI failed to factor: λ is below the rounding noise of K's eigenvalues.</summary>
    public static ArgumentException NotPositiveDefinite(double lambda, string what) =>
        new($"λ = {lambda:R} is too small: {what} plus λI is not positive definite in float64; use larger penalties in SubjectAdapterOptions.Lambdas", "options");
}
