using FmriToImage.Reconstructions;

namespace FmriToImage.Pipelines;

/// <summary>
/// A pipeline's state after its batched stages — the voxel encoders and everything else run once for several trials
/// (low-level decoding, captioning, text and image encoding, the prior) — from which each trial's reconstruction is
/// completed on its own (its diffusion, decoding and selection), in trial order, so results stream as they finish.
/// </summary>
/// <remarks>Completing different trials from different threads is safe; each completion has its own buffers.</remarks>
internal abstract class PreparedTrials
{
    private readonly KeyValuePair<string, TimeSpan>[] _sharedTimings;

    /// <summary>Keeps the batched stages' times, each divided by the trial count (every trial's share).</summary>
    protected PreparedTrials(int count, StageClock batchedStages)
    {
        Count = count;
        _sharedTimings = batchedStages.Timings.Select(t => new KeyValuePair<string, TimeSpan>(t.Key, t.Value / count)).ToArray();
    }

    /// <summary>The number of trials prepared.</summary>
    public int Count { get; }

    /// <summary>Finishes trial <paramref name="trial"/> (0-based within the batch).</summary>
    public abstract Reconstruction Complete(int trial, CancellationToken cancellationToken);

    /// <summary>A clock for one trial's own stages, starting with its share of the batched ones.</summary>
    protected StageClock TrialClock() => new(_sharedTimings);
}
