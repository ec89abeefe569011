namespace FmriToImage.Adaptation;

/// <summary>How <see cref="SubjectAdapter.Fit"/> chooses the ridge penalty: the λ grid, the folds and the threads.</summary>
public sealed record SubjectAdapterOptions
{
    /// <summary>
    /// The default λ grid: 10^0, 10^0.5, …, 10^8 (17 values, half a decade apart). λ is absolute, in the units of the
    /// kernel Xc·Xcᵀ, whose diagonal is a trial's squared distance to the mean trial — about the voxel count for
    /// z-scored voxels (15,724 for NSD subj01), so the grid spans 10⁻⁴ to 10⁴ times that.
    /// </summary>
    public static IReadOnlyList<double> DefaultLambdas { get; } =
        [.. Enumerable.Range(0, 17).Select(i => Math.Pow(10, i / 2.0))];

    /// <summary>The ridge penalties tried, each finite and &gt; 0; any order (ties go to the larger λ).</summary>
    public IReadOnlyList<double> Lambdas { get; init; } = DefaultLambdas;

    /// <summary>
    /// k of k-fold cross-validation, ≥ 2 and at most the trial count. Folds are contiguous blocks in row order (fold f
    /// holds rows ⌊f·n/k⌋ to ⌊(f+1)·n/k⌋ − 1), never shuffled: trials of one run or session stay together, so
    /// the score is not inflated by neighbouring trials' correlated noise. Order the rows by time to use that.
    /// </summary>
    public int Folds { get; init; } = 5;

    /// <summary>The most threads the fit uses; null for all cores.</summary>
    public int? MaxDegreeOfParallelism { get; init; }
}
