namespace FmriToImage.Data;

/// <summary>
/// Per-voxel z-scoring of a <see cref="VoxelMatrix"/>: either fitted on some trials (the training set, as
/// Brain-Diffuser and the MindEye2 paper do) and applied to others, or per session over each session's own trials
/// (NSD/MindEye2 preprocessing code, <see cref="ZScoreBySession"/>). Voxels with zero spread become 0.
/// </summary>
/// <remarks>A fitted instance is immutable and thread-safe.</remarks>
internal sealed class Standardizer
{
    private readonly double[] _mean;
    private readonly double[] _std;

    private Standardizer(double[] mean, double[] std)
    {
        _mean = mean;
        _std = std;
    }

    /// <summary>The fitted per-voxel means.</summary>
    public IReadOnlyList<double> Mean => _mean;

    /// <summary>The fitted per-voxel standard deviations.</summary>
    public IReadOnlyList<double> StandardDeviation => _std;

    /// <summary>Fits per-voxel mean and standard deviation on <paramref name="trials"/> rows of <paramref name="data"/> (all rows when null).</summary>
    /// <param name="data">The matrix.</param>
    /// <param name="trials">The rows to fit on (e.g. training trials); null = every row.</param>
    /// <param name="ddof">Delta degrees of freedom: 0 = population std (scikit-learn StandardScaler), 1 = sample std (Brain-Diffuser).</param>
    /// <param name="nonFinite">What to do with NaN/∞ (replacement happens in place in <paramref name="data"/>).</param>
    /// <exception cref="NonFiniteValueException">A value is NaN/∞ and <paramref name="nonFinite"/> is Reject.</exception>
    /// <exception cref="ArgumentException">Fewer rows than ddof + 1.</exception>
    public static Standardizer Fit(VoxelMatrix data, IReadOnlyList<int>? trials = null, int ddof = 0, NonFiniteHandling nonFinite = NonFiniteHandling.Reject)
    {
        ArgumentNullException.ThrowIfNull(data);
        IReadOnlyList<int> rows = trials ?? Enumerable.Range(0, data.TrialCount).ToArray();
        data.EnsureFinite(nonFinite, rows);
        var (mean, std) = Statistics(data, rows, ddof);
        return new Standardizer(mean, std);
    }

    /// <summary>Applies the fitted statistics in place to every row of <paramref name="data"/>.</summary>
    /// <exception cref="ArgumentException">The voxel count differs from the fitted one.</exception>
    /// <exception cref="NonFiniteValueException">A value is NaN/∞ and <paramref name="nonFinite"/> is Reject.</exception>
    public void Apply(VoxelMatrix data, NonFiniteHandling nonFinite = NonFiniteHandling.Reject)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.VoxelCount != _mean.Length)
        {
            throw new ArgumentException($"matrix has {data.VoxelCount} voxels, the standardizer was fitted on {_mean.Length}", nameof(data));
        }

        var rows = Enumerable.Range(0, data.TrialCount).ToArray();
        data.EnsureFinite(nonFinite, rows);
        Normalize(data, rows, _mean, _std);
    }

    /// <summary>Z-scores each session's rows in place with that session's own per-voxel statistics.</summary>
    /// <param name="data">The matrix.</param>
    /// <param name="sessionOfTrial">The session of each row (any integer labels).</param>
    /// <param name="ddof">0 = population std (NSD/MindEye code), 1 = sample std.</param>
    /// <param name="nonFinite">What to do with NaN/∞.</param>
    /// <exception cref="ArgumentException">The label count differs from the row count.</exception>
    /// <exception cref="NonFiniteValueException">A value is NaN/∞ and <paramref name="nonFinite"/> is Reject.</exception>
    public static void ZScoreBySession(VoxelMatrix data, IReadOnlyList<int> sessionOfTrial, int ddof = 0, NonFiniteHandling nonFinite = NonFiniteHandling.Reject)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(sessionOfTrial);
        if (sessionOfTrial.Count != data.TrialCount)
        {
            throw new ArgumentException($"{sessionOfTrial.Count} session labels for {data.TrialCount} trials", nameof(sessionOfTrial));
        }

        data.EnsureFinite(nonFinite);
        foreach (var group in Enumerable.Range(0, data.TrialCount).GroupBy(t => sessionOfTrial[t]))
        {
            int[] rows = [.. group];
            var (mean, std) = Statistics(data, rows, ddof);
            Normalize(data, rows, mean, std);
        }
    }

    private static (double[] Mean, double[] Std) Statistics(VoxelMatrix data, IReadOnlyList<int> rows, int ddof)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(ddof);
        if (rows.Count <= ddof)
        {
            throw new ArgumentException($"{rows.Count} trials cannot give a standard deviation with ddof {ddof}", nameof(rows));
        }

        int n = data.VoxelCount;
        var mean = new double[n];
        var m2 = new double[n];
        foreach (int t in rows)
        {
            Span<float> row = data.Row(t);
            for (int v = 0; v < n; v++)
            {
                mean[v] += row[v];
            }
        }

        for (int v = 0; v < n; v++)
        {
            mean[v] /= rows.Count;
        }

        foreach (int t in rows)
        {
            Span<float> row = data.Row(t);
            for (int v = 0; v < n; v++)
            {
                double d = row[v] - mean[v];
                m2[v] += d * d;
            }
        }

        for (int v = 0; v < n; v++)
        {
            m2[v] = Math.Sqrt(m2[v] / (rows.Count - ddof));
        }

        return (mean, m2);
    }

    private static void Normalize(VoxelMatrix data, IReadOnlyList<int> rows, double[] mean, double[] std)
    {
        foreach (int t in rows)
        {
            Span<float> row = data.Row(t);
            for (int v = 0; v < row.Length; v++)
            {
                row[v] = std[v] > 0 ? (float)((row[v] - mean[v]) / std[v]) : 0f;
            }
        }
    }
}
