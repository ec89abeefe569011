using System.Numerics.Tensors;
using FmriToImage.Numerics;

namespace FmriToImage.Interpretation;

/// <summary>
/// The leave-one-region-out change in the brain's predicted embedding. For each trial, one encoder call embeds
/// 1 + R rows: the trial unchanged and, for each of the R regions, the trial with that region's voxels set to their
/// training mean — 0 for MindEye-style inputs z-scored per voxel against the training trials, the subject's stored
/// per-voxel mean where the library standardizes raw voxels itself (a format-2 subject). Importance =
/// 1 − cosine(perturbed, unchanged). The encoder splits the rows by its graph's batch axis.
/// </summary>
internal static class LeaveOneOut
{
    /// <summary>
    /// Importances of <paramref name="regions"/> for every trial of <paramref name="trials"/>
    /// (<paramref name="trialCount"/> × <paramref name="voxelCount"/> floats), and their mean over trials.
    /// </summary>
    /// <param name="trials">trials × voxels floats, row-major.</param>
    /// <param name="trialCount">How many trials.</param>
    /// <param name="voxelCount">Voxels per trial.</param>
    /// <param name="regions">The regions to remove, one at a time.</param>
    /// <param name="embed">The encoder: rows → rows × E embedding floats.</param>
    /// <param name="removedValues">The value each voxel takes when its region is removed (<paramref name="voxelCount"/>
    /// floats), or empty for 0 everywhere.</param>
    /// <param name="progress">Receives the number of trials done after each trial.</param>
    /// <param name="cancellationToken">Checked before each trial and passed to the encoder.</param>
    /// <exception cref="ArgumentException">No regions, a region without columns, a duplicated or out-of-range column,
    /// a trial matrix or <paramref name="removedValues"/> of the wrong length; all checked before the encoder runs.</exception>
    /// <exception cref="InvalidOperationException">The encoder returned a number of floats that is not rows × a width.</exception>
    public static RegionImportance Compute(ReadOnlySpan<float> trials, int trialCount, int voxelCount, IReadOnlyList<DecoderRegion> regions,
        EmbedRows embed, ReadOnlySpan<float> removedValues = default, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(regions);
        ArgumentNullException.ThrowIfNull(embed);
        ArgumentOutOfRangeException.ThrowIfLessThan(trialCount, 1);
        if (trials.Length != (long)trialCount * voxelCount)
        {
            throw new ArgumentException($"{trials.Length} floats given for {trialCount} trials of {voxelCount} voxels", nameof(trials));
        }

        if (!removedValues.IsEmpty && removedValues.Length != voxelCount)
        {
            throw new ArgumentException($"{removedValues.Length} removed values given for {voxelCount} voxels", nameof(removedValues));
        }

        Check(regions, voxelCount);
        int count = regions.Count, rows = count + 1;
        var batch = new float[rows * voxelCount];
        var similarity = new float[count];
        var perTrial = new float[trialCount * count];
        for (int t = 0; t < trialCount; t++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ReadOnlySpan<float> trial = trials.Slice(t * voxelCount, voxelCount);
            for (int r = 0; r < rows; r++)
            {
                trial.CopyTo(batch.AsSpan(r * voxelCount, voxelCount));
            }

            for (int r = 0; r < count; r++)
            {
                Span<float> row = batch.AsSpan((r + 1) * voxelCount, voxelCount);
                foreach (int column in regions[r].Columns)
                {
                    row[column] = removedValues.IsEmpty ? 0f : removedValues[column];
                }
            }

            float[] embeddings = embed(batch, rows, cancellationToken);
            if (embeddings.Length == 0 || embeddings.Length % rows != 0)
            {
                throw new InvalidOperationException($"the encoder returned {embeddings.Length} floats for {rows} rows");
            }

            int width = embeddings.Length / rows;
            EmbeddingMath.CosineSimilarities(embeddings.AsSpan(0, width), embeddings.AsSpan(width), width, similarity);
            Span<float> importance = perTrial.AsSpan(t * count, count);
            TensorPrimitives.Subtract(1f, similarity, importance);
            progress?.Report(t + 1);
        }

        var mean = new float[count];
        for (int t = 0; t < trialCount; t++)
        {
            TensorPrimitives.Add(mean, perTrial.AsSpan(t * count, count), mean);
        }

        TensorPrimitives.Divide(mean, trialCount, mean);
        return new RegionImportance(regions.Select(r => r.Name).ToArray(), perTrial, mean);
    }

    private static void Check(IReadOnlyList<DecoderRegion> regions, int voxelCount)
    {
        if (regions.Count == 0)
        {
            throw new ArgumentException("no regions to remove", nameof(regions));
        }

        var seen = new bool[voxelCount];
        foreach (DecoderRegion region in regions)
        {
            ArgumentNullException.ThrowIfNull(region, nameof(regions));
            if (region.Columns.Length == 0)
            {
                throw new ArgumentException($"region '{region.Name}' has no voxel columns", nameof(regions));
            }

            Array.Clear(seen);
            foreach (int column in region.Columns)
            {
                if ((uint)column >= (uint)voxelCount)
                {
                    throw new ArgumentException($"region '{region.Name}' names column {column}; the decoder has {voxelCount} (0 … {voxelCount - 1})", nameof(regions));
                }

                if (seen[column])
                {
                    throw new ArgumentException($"region '{region.Name}' names column {column} twice", nameof(regions));
                }

                seen[column] = true;
            }
        }
    }
}
