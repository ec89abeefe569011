namespace FmriToImage.Reconstructions;

/// <summary>Progress of <c>BrainDecoder.ReconstructAllAsync</c>, reported once per finished trial.</summary>
/// <param name="Completed">Trials finished so far in this call.</param>
/// <param name="TrialCount">
/// Trials this call reconstructs in all: the rows of the voxel matrix it was given (not
/// <c>BrainDecoderOptions.TrialBatchSize</c>, the trials that go through the encoders together).
/// </param>
/// <param name="Trial">The trial just finished (its row in the voxel matrix).</param>
/// <param name="Elapsed">Wall time since the call started.</param>
public readonly record struct ReconstructionProgress(int Completed, int TrialCount, int Trial, TimeSpan Elapsed);
