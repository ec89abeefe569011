using FmriToImage.Bundle;

namespace FmriToImage.Pipelines;

/// <summary>
/// A reconstruction method: its batched stages for several trials, after which each trial completes on its own. One
/// class per pipeline, registered by one <see cref="PipelineRequirement"/> row of the <see cref="PipelineTable"/>.
/// </summary>
/// <remarks>
/// Implementations are stateless: the table holds one instance per pipeline, which every decoder and thread shares;
/// per-call state lives in the <see cref="PreparedTrials"/> a call returns.
/// </remarks>
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

    /// <summary>
    /// What the optional stages <paramref name="defaults"/> turn on need beyond the pipeline's table row, or null (the
    /// default: a pipeline whose row says everything). Part of the decoder's availability report.
    /// </summary>
    string? MissingForStages(DecoderComponents components, PipelineDefaults defaults) => null;

    /// <summary>
    /// Checks (at load) the pipeline's own defaults beyond steps, strength and guidance against
    /// <paramref name="scheduler"/>, named <paramref name="source"/>; adds each problem, prefixed by
    /// <paramref name="owner"/>, to <paramref name="problems"/>. The default has none to check.
    /// </summary>
    void CheckOwnDefaults(BundleScheduler scheduler, string source, PipelineDefaults defaults, string owner, List<string> problems)
    {
    }
}
