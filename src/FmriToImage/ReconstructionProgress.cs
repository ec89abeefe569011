namespace FmriToImage;

/// <summary>Progress of <see cref="BrainDecoder.ReconstructAllAsync"/>.</summary>
/// <param name="Completed">Trials finished so far.</param>
/// <param name="Total">Trials in the batch.</param>
/// <param name="Trial">The trial just finished (its row in the voxel matrix).</param>
/// <param name="Elapsed">Wall time since the batch started.</param>
public readonly record struct ReconstructionProgress(int Completed, int Total, int Trial, TimeSpan Elapsed);
