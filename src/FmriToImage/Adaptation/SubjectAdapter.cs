using FmriToImage.Data;

namespace FmriToImage.Adaptation;

/// <summary>
/// Fits a new subject's linear adapter into a shared space from a little data (MindEye2: one session, about 750
/// trials): closed-form ridge regression in dual form, λ chosen by k-fold cross-validation, in float64.
/// </summary>
/// <remarks>
/// With n trials ≪ V voxels the dual form solves an n × n system instead of a V × V one: with X and Y centred on their
/// column means, α = (Xc·Xcᵀ + λI)⁻¹·Yc and W = Xcᵀ·α, b = mean(Y) − mean(X)·W. The kernel Xc·Xcᵀ is accumulated in
/// float64 from the float32 rows a tile at a time; held at once besides the caller's trials (float32, not copied): the
/// voxel means (V doubles), the kernel (n² doubles), the targets in float64 (n·D), a tile of 32 centred rows (32·V
/// doubles) and one row per thread, each fold's kernels (about n² doubles over all folds), one n × D float64 prediction
/// buffer, pooled Cholesky buffers per thread (m² + m·s doubles for m training and s held-out trials), α (n·D doubles), a 32 × D
/// float64 accumulator per thread and W itself (V·D floats). No V × V matrix and no float64 copy of X is formed.
/// The math, the protocol and measured costs: docs/adaptation.md.
/// </remarks>
public static class SubjectAdapter
{
    /// <summary>
    /// Fits y = x·W + b from <paramref name="trials"/> to <paramref name="targets"/>, choosing λ among
    /// <see cref="SubjectAdapterOptions.Lambdas"/> by the mean Pearson correlation of out-of-fold predictions
    /// (contiguous folds; ties go to the larger λ), then refitting on all trials at that λ.
    /// </summary>
    /// <param name="trials">n trials × V voxels, float32, finite (e.g. z-scored betas of one session); read, never modified.</param>
    /// <param name="targets">n × <paramref name="targetDimension"/> float32, row-major: each trial's image in the shared space.</param>
    /// <param name="targetDimension">D, the shared-space dimension (e.g. 1024 or 4096 for MindEye2's adapters).</param>
    /// <param name="options">The λ grid, folds and threads; null for <see cref="SubjectAdapterOptions"/>' defaults.</param>
    /// <param name="progress">Receives each stage's progress: the stage running, the units done in it and the units it has.</param>
    /// <param name="cancellationToken">Checked between tiles, penalties and voxel blocks.</param>
    /// <returns>W, b, the chosen λ and every λ's score.</returns>
    /// <exception cref="ArgumentException">Shapes disagree, fewer trials than folds, an invalid λ or fold count, a non-finite target,
    /// or a λ too small for K + λI to factor in float64.</exception>
    /// <exception cref="NonFiniteValueException">A trial holds NaN or ±∞ (names the trial and voxel).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static SubjectAdapterResult Fit(VoxelMatrix trials, ReadOnlySpan<float> targets, int targetDimension,
        SubjectAdapterOptions? options = null, IProgress<(SubjectAdapterStage Stage, int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(trials);
        options ??= new SubjectAdapterOptions();
        Validate(trials, targets, targetDimension, options);
        cancellationToken.ThrowIfCancellationRequested();

        int n = trials.TrialCount, d = targetDimension;
        var parallel = new ParallelOptions
        {
            CancellationToken = cancellationToken,
            MaxDegreeOfParallelism = options.MaxDegreeOfParallelism ?? -1,
        };
        var y = new double[targets.Length];
        for (var i = 0; i < y.Length; i++)
        {
            y[i] = targets[i];
        }

        var kernel = CenteredKernel.Build(trials, parallel, progress);
        var scores = RidgeCrossValidation.Score(kernel, y, d, options.Lambdas, options.Folds, parallel, progress);
        var best = 0;
        for (var l = 1; l < scores.Length; l++)
        {
            if (scores[l] > scores[best] || (scores[l] == scores[best] && options.Lambdas[l] > options.Lambdas[best]))
            {
                best = l;
            }
        }

        var lambda = options.Lambdas[best];
        cancellationToken.ThrowIfCancellationRequested();
        var (alpha, bias) = SolveAll(trials, kernel, y, d, lambda);
        var weights = DualWeights.Compute(trials, kernel.Means, alpha, d, parallel, progress);
        var table = options.Lambdas.Select((l, i) => (l, scores[i])).ToArray();
        return new SubjectAdapterResult(weights, bias, trials.VoxelCount, d, lambda, options.Folds, table);
    }

    /// <summary>α = (G + λI)⁻¹·Yc over all trials, and b = ȳ − m·W computed as ȳ − Σ_i (Xc·m)_i α_i in float64.</summary>
    private static (double[] Alpha, float[] Bias) SolveAll(VoxelMatrix trials, CenteredKernel kernel, double[] y, int d, double lambda)
    {
        var n = kernel.Trials;
        var mean = new double[d];
        for (var i = 0; i < n; i++)
        {
            for (var k = 0; k < d; k++)
            {
                mean[k] += y[(i * d) + k];
            }
        }

        for (var k = 0; k < d; k++)
        {
            mean[k] /= n;
        }

        var alpha = new double[y.Length];
        for (var i = 0; i < n; i++)
        {
            for (var k = 0; k < d; k++)
            {
                alpha[(i * d) + k] = y[(i * d) + k] - mean[k];
            }
        }

        var factor = (double[])kernel.Gram.Clone();
        RidgeCrossValidation.AddToDiagonal(factor, n, lambda);
        if (!CholeskySolver.Factor(factor, n))
        {
            throw RidgeCrossValidation.NotPositiveDefinite(lambda, $"the kernel of all {n} trials");
        }

        CholeskySolver.Solve(factor, n, alpha, d);
        var means = kernel.Means;
        var bias = new float[d];
        var shift = new double[d];
        for (var i = 0; i < n; i++)
        {
            var row = trials.Row(i);
            double u = 0;
            for (var v = 0; v < row.Length; v++)
            {
                u += (row[v] - means[v]) * means[v];
            }

            for (var k = 0; k < d; k++)
            {
                shift[k] += u * alpha[(i * d) + k];
            }
        }

        for (var k = 0; k < d; k++)
        {
            bias[k] = (float)(mean[k] - shift[k]);
        }

        return (alpha, bias);
    }

    private static void Validate(VoxelMatrix trials, ReadOnlySpan<float> targets, int targetDimension, SubjectAdapterOptions options)
    {
        if (options.Lambdas is null || options.Lambdas.Count == 0)
        {
            throw new ArgumentException("options.Lambdas is empty; expected at least one ridge penalty > 0", nameof(options));
        }

        for (var l = 0; l < options.Lambdas.Count; l++)
        {
            if (!double.IsFinite(options.Lambdas[l]) || options.Lambdas[l] <= 0)
            {
                throw new ArgumentException($"options.Lambdas[{l}] is {options.Lambdas[l]:R}; expected a finite penalty > 0", nameof(options));
            }
        }

        if (options.Folds < 2)
        {
            throw new ArgumentException($"options.Folds is {options.Folds}; expected at least 2", nameof(options));
        }

        if (options.MaxDegreeOfParallelism is < 1)
        {
            throw new ArgumentException($"options.MaxDegreeOfParallelism is {options.MaxDegreeOfParallelism}; expected ≥ 1 or null", nameof(options));
        }

        if (trials.VoxelCount < 1)
        {
            throw new ArgumentException("trials has 0 voxels per trial; expected at least 1", nameof(trials));
        }

        if (trials.TrialCount < options.Folds)
        {
            throw new ArgumentException($"trials has {trials.TrialCount} trials; {options.Folds}-fold cross-validation needs at least {options.Folds}", nameof(trials));
        }

        if (targetDimension < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(targetDimension), targetDimension, "expected a shared-space dimension ≥ 1");
        }

        if (targets.Length != (long)trials.TrialCount * targetDimension)
        {
            throw new ArgumentException(
                $"targets holds {targets.Length} values; {trials.TrialCount} trials × {targetDimension} dimensions need {(long)trials.TrialCount * targetDimension}",
                nameof(targets));
        }

        if ((long)trials.VoxelCount * targetDimension > Array.MaxLength)
        {
            throw new ArgumentException($"W would hold {trials.VoxelCount} × {targetDimension} values, more than one array can ({Array.MaxLength})", nameof(targetDimension));
        }

        for (var i = 0; i < targets.Length; i++)
        {
            if (!float.IsFinite(targets[i]))
            {
                throw new ArgumentException($"targets[{i / targetDimension}, {i % targetDimension}] is {targets[i]}; expected finite values", nameof(targets));
            }
        }

        trials.EnsureFinite(NonFiniteHandling.Reject);
    }
}
