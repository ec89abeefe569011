using FmriToImage.Reconstructions;

namespace FmriToImage.Pipelines;

/// <summary>
/// MindEye / Brain-Diffuser style reconstruction: the high-level voxel encoder predicts image-encoder tokens (the brain
/// tokens) and an image embedding; the bundle's diffusion prior, when it has one and the request uses it, turns the
/// brain tokens into image tokens; the UNet, conditioned on those tokens (zeros unconditional), draws N samples —
/// img2img from the low-level latent when the bundle has a low-level encoder and strength &lt; 1 (MindEye: 0.85), else
/// from noise — and the sample whose image embedding is closest to the brain's predicted embedding wins.
/// </summary>
/// <remarks>
/// <see cref="Prepare"/> runs the voxel encoders, the prior and the low-level decoding for a batch of trials at once;
/// <see cref="PreparedTrials.Complete"/> then runs one trial's diffusion, decoding and selection.
/// </remarks>
internal sealed class UnclipPipeline : IPipeline
{
    /// <inheritdoc />
    public PreparedTrials Prepare(DecoderComponents components, ReadOnlySpan<float> voxels, int trials, ResolvedRequest request, CancellationToken cancellationToken)
    {
        var clock = new StageClock();
        var brain = UnclipStage.EncodeBrain(components, voxels, trials, request, lowLevel: request.Strength < 1, clock, cancellationToken);
        var filled = request with { Strength = brain.LowLatents is null ? 1.0 : request.Strength };
        return new Prepared(components, filled, new BatchLayout(trials, 1, request.Samples), brain, clock);
    }

    private sealed class Prepared(
        DecoderComponents components,
        ResolvedRequest request,
        BatchLayout layout,
        BrainSide brain,
        StageClock batchedStages) : PreparedTrials(layout.Trials, batchedStages)
    {
        public override Reconstruction Complete(int trial, CancellationToken cancellationToken)
        {
            var clock = TrialClock();
            var best = UnclipStage.Run(components, request, layout, trial, brain.Tokens, brain.Targets, brain.LowLatents, brain.Model, clock, ("diffusion", "decoding"), cancellationToken);
            return best.ToReconstruction(request, clock, request.UsePrior, brain.LowLatents is null ? null : brain.LowImages[trial]);
        }
    }
}
