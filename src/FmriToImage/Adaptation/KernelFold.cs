namespace FmriToImage.Adaptation;

/// <summary>
/// One cross-validation fold in kernel space: the training rows' kernel re-centred on the training rows' own mean,
/// and the held-out rows' kernel against them under the same centring, both derived from the globally centred G
/// (centring is translation-invariant, so re-centring G equals centring X on the training mean):
/// (x_a − m_T)·(x_b − m_T) = G[a, b] − r[a] − r[b] + c, with r[a] = mean over training rows t of G[a, t] and
/// c = mean over training rows of r.
/// </summary>
internal sealed class KernelFold
{
    private KernelFold(int heldStart, int heldEnd, int[] training, double[] trainingKernel, double[] crossKernel, double[] targetMean)
    {
        HeldStart = heldStart;
        HeldEnd = heldEnd;
        Training = training;
        TrainingKernel = trainingKernel;
        CrossKernel = crossKernel;
        TargetMean = targetMean;
    }

    /// <summary>The first held-out row.</summary>
    public int HeldStart { get; }

    /// <summary>One past the last held-out row.</summary>
    public int HeldEnd { get; }

    /// <summary>s, the held-out row count.</summary>
    public int HeldCount => HeldEnd - HeldStart;

    /// <summary>The training rows, ascending (m of them).</summary>
    public int[] Training { get; }

    /// <summary>m × m, the training rows' kernel centred on their mean.</summary>
    public double[] TrainingKernel { get; }

    /// <summary>m × s: row t, column h is (x_t − m_T)·(x_h − m_T) for training row t and held-out row h.</summary>
    public double[] CrossKernel { get; }

    /// <summary>The training rows' mean target (D values).</summary>
    public double[] TargetMean { get; }

    public static KernelFold Create(CenteredKernel kernel, ReadOnlySpan<double> targets, int dimension, int heldStart, int heldEnd)
    {
        var n = kernel.Trials;
        var g = kernel.Gram;
        var training = Enumerable.Range(0, n).Where(t => t < heldStart || t >= heldEnd).ToArray();
        int m = training.Length, s = heldEnd - heldStart;

        // r[a] for every row a (training or held out): its mean kernel value against the training rows.
        var r = new double[n];
        for (var a = 0; a < n; a++)
        {
            double sum = 0;
            foreach (var t in training)
            {
                sum += g[((long)a * n) + t];
            }

            r[a] = sum / m;
        }

        double c = 0;
        foreach (var t in training)
        {
            c += r[t];
        }

        c /= m;
        var trainingKernel = new double[m * m];
        var crossKernel = new double[m * s];
        for (var i = 0; i < m; i++)
        {
            var a = training[i];
            for (var j = 0; j < m; j++)
            {
                var b = training[j];
                trainingKernel[(i * m) + j] = g[((long)a * n) + b] - r[a] - r[b] + c;
            }

            for (var h = 0; h < s; h++)
            {
                var b = heldStart + h;
                crossKernel[(i * s) + h] = g[((long)a * n) + b] - r[a] - r[b] + c;
            }
        }

        var mean = new double[dimension];
        foreach (var t in training)
        {
            var row = targets.Slice(t * dimension, dimension);
            for (var d = 0; d < dimension; d++)
            {
                mean[d] += row[d];
            }
        }

        for (var d = 0; d < dimension; d++)
        {
            mean[d] /= m;
        }

        return new KernelFold(heldStart, heldEnd, training, trainingKernel, crossKernel, mean);
    }
}
