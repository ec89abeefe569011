using System.Numerics.Tensors;

namespace FmriToImage.Adaptation;

/// <summary>
/// A new subject's linear adapter fitted by <see cref="SubjectAdapter.Fit"/>: y = x·W + b, from one trial's voxels x
/// (in the column order of the trials it was fitted on) to the shared space, with the cross-validation that chose λ.
/// </summary>
public sealed record SubjectAdapterResult
{
    internal SubjectAdapterResult(float[] weights, float[] bias, int voxelCount, int targetDimension, double lambda, int folds, IReadOnlyList<(double Lambda, double MeanCorrelation)> scores)
    {
        Weights = weights;
        Bias = bias;
        VoxelCount = voxelCount;
        TargetDimension = targetDimension;
        Lambda = lambda;
        Folds = folds;
        CrossValidation = scores;
    }

    /// <summary>W, <see cref="VoxelCount"/> × <see cref="TargetDimension"/> float32, row-major (row v = voxel v's weights).</summary>
    public ReadOnlyMemory<float> Weights { get; }

    /// <summary>b, <see cref="TargetDimension"/> float32.</summary>
    public ReadOnlyMemory<float> Bias { get; }

    /// <summary>The voxels per trial (rows of W).</summary>
    public int VoxelCount { get; }

    /// <summary>The shared-space dimension (columns of W).</summary>
    public int TargetDimension { get; }

    /// <summary>The ridge penalty chosen by cross-validation.</summary>
    public double Lambda { get; }

    /// <summary>k of the k-fold cross-validation.</summary>
    public int Folds { get; }

    /// <summary>
    /// Every penalty tried with its score, in the order of <see cref="SubjectAdapterOptions.Lambdas"/>: the penalty λ,
    /// and the Pearson correlation between out-of-fold predictions and targets per target dimension over all trials,
    /// averaged over the dimensions (a dimension whose prediction or target is constant counts 0; higher is better).
    /// </summary>
    public IReadOnlyList<(double Lambda, double MeanCorrelation)> CrossValidation { get; }

    /// <summary>Maps one trial: <paramref name="destination"/> = <paramref name="voxels"/>·W + b, in float32.</summary>
    /// <param name="voxels"><see cref="VoxelCount"/> values.</param>
    /// <param name="destination"><see cref="TargetDimension"/> values.</param>
    /// <exception cref="ArgumentException">A length differs from the adapter's.</exception>
    public void Apply(ReadOnlySpan<float> voxels, Span<float> destination)
    {
        if (voxels.Length != VoxelCount)
        {
            throw new VoxelCountMismatchException("the subject adapter", VoxelCount, voxels.Length);
        }

        if (destination.Length != TargetDimension)
        {
            throw new ArgumentException($"destination holds {destination.Length} values; the adapter gives {TargetDimension}", nameof(destination));
        }

        var weights = Weights.Span;
        Bias.Span.CopyTo(destination);
        for (var v = 0; v < voxels.Length; v++)
        {
            if (voxels[v] != 0f)
            {
                TensorPrimitives.MultiplyAdd(weights.Slice(v * TargetDimension, TargetDimension), voxels[v], destination, destination);
            }
        }
    }
}
