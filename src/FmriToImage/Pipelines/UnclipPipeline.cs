using FmriToImage.Imaging;
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
    /// <summary>The one instance the table registers.</summary>
    public static UnclipPipeline Instance { get; } = new();

    private UnclipPipeline()
    {
    }

    /// <inheritdoc />
    public PreparedTrials Prepare(DecoderComponents components, ReadOnlySpan<float> voxels, int trials, ResolvedRequest request, CancellationToken cancellationToken)
    {
        var clock = new StageClock();
        var brain = UnclipStage.EncodeBrain(components, voxels, trials, request, lowLevel: request.Strength < 1, clock, cancellationToken);
        var filled = request with { Strength = brain.LowLatents is null ? 1.0 : request.Strength };
        return new Prepared(components, filled, new BatchLayout(trials, 1, request.Samples), brain.Model, brain.Tokens, brain.Targets, brain.LowLatents, brain.LowImages, clock);
    }

    private sealed class Prepared(
        DecoderComponents components,
        ResolvedRequest request,
        BatchLayout layout,
        string model,
        float[] tokens,
        float[] targets,
        float[]? lowLatents,
        RgbImage[] lowLevel,
        StageClock batchedStages) : PreparedTrials(layout.Trials, batchedStages)
    {
        public override Reconstruction Complete(int trial, CancellationToken cancellationToken)
        {
            var clock = TrialClock();
            var samples = layout.Candidates;
            var (finals, scores, chosen) = UnclipStage.Run(components, request, layout, trial, tokens, targets, lowLatents, model, clock, ("diffusion", "decoding"), cancellationToken);

            var trialLowLevel = lowLatents is null ? null : lowLevel[trial];
            return new Reconstruction
            {
                Pipeline = request.Pipeline,
                Image = finals[chosen],
                LowLevelImages = trialLowLevel is null ? [] : [trialLowLevel],
                Captions = [],
                Candidates = Enumerable.Range(0, samples).Select(s => new ReconstructionCandidate(model, s, finals[s], scores[s], null, trialLowLevel)).ToArray(),
                ChosenIndex = chosen,
                UsedPrior = request.UsePrior,
                Timings = clock.Timings,
                Request = request.ToRequest(),
            };
        }
    }
}
