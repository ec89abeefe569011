namespace FmriToImage.Pipelines;

/// <summary>
/// A reconstruction method: its batched stages for several trials, after which each trial completes on its own. One
/// class per pipeline, registered by one <see cref="PipelineRequirement"/> row of the <see cref="PipelineTable"/>.
/// </summary>
internal interface IPipeline
{
    /// <summary>Runs the stages before the diffusion for <paramref name="trials"/> checked trials at once.</summary>
    /// <param name="components">The decoder's networks (everything the pipeline's row needs is there).</param>
    /// <param name="voxels">trials × voxel count floats.</param>
    /// <param name="trials">The number of trials.</param>
    /// <param name="request">The request with every default filled in.</param>
    /// <param name="cancellationToken">Cancels between and during runs.</param>
    /// <returns>The prepared trials, each completed by <see cref="PreparedTrials.Complete"/>.</returns>
    PreparedTrials Prepare(DecoderComponents components, ReadOnlySpan<float> voxels, int trials, ResolvedRequest request, CancellationToken cancellationToken);
}
