using FmriToImage.Reconstructions;

namespace FmriToImage.Pipelines;

/// <summary>
/// Vis-Dec style reconstruction ("Contrast, Attend and Diffuse"): the conditioning-token voxel encoder (role
/// <c>conditioning_tokens</c>) maps the voxels straight to the UNet's context tokens — no caption, no image tokens —
/// and, when it has one, to the context-to-time-embedding term the UNet takes as <c>time_embedding_term</c>. The UNet
/// draws N samples from noise with classifier-free guidance (unconditional: zero tokens and a zero term, the manifest's
/// <c>unconditional.conditioning_tokens</c> = <c>zeros</c>) on the pipeline's scheduler (Vis-Dec samples with PLMS:
/// <c>pipelines.visdec.scheduler</c> may name it over the bundle's config). The sample whose image embedding is closest
/// to the encoder's <c>image_embedding</c> wins when the encoder has that output and the bundle an image encoder; else
/// the first sample.
/// </summary>
internal sealed class ConditionedPipeline : IPipeline
{
    /// <inheritdoc />
    public PreparedTrials Prepare(DecoderComponents components, ReadOnlySpan<float> voxels, int trials, ResolvedRequest request, CancellationToken cancellationToken)
    {
        var clock = new StageClock();
        var encoder = components.ConditioningEncoder
            ?? throw new InvalidOperationException("The Conditioned pipeline was prepared for a bundle without a conditioning_tokens voxel encoder; its availability check should have refused it.");
        var encoding = encoder.Encode(voxels, trials, request.Repeats, cancellationToken);
        var tokens = encoding.ConditioningTokens!.Release();
        var targets = components.ImageEncoder is null ? null : encoding.ImageEmbedding?.Release();
        var terms = encoding.TimeEmbeddingTerm?.Release();
        clock.Lap("voxel encoders");
        return new Prepared(components, request with { Strength = 1.0 }, new BatchLayout(trials, 1, request.Samples), encoder.Name, tokens, targets, terms, clock);
    }

    private sealed class Prepared(
        DecoderComponents components,
        ResolvedRequest request,
        BatchLayout layout,
        string model,
        float[] tokens,
        float[]? targets,
        float[]? terms,
        StageClock batchedStages) : PreparedTrials(layout.Trials, batchedStages)
    {
        public override Reconstruction Complete(int trial, CancellationToken cancellationToken)
        {
            var clock = TrialClock();
            var samples = layout.Candidates;
            var perTrialTokens = tokens.Length / Count;
            var conditioning = new float[samples * perTrialTokens];
            layout.Spread(trial, tokens, perTrialTokens, conditioning);
            var added = components.ConditionsFor(request, samples, pooled: null, imageEmbeddings: null, request.Row.Name, cancellationToken);
            if (terms is not null)
            {
                // Vis-Dec's context-to-time-embedding term: the encoder's per trial, zeros for the unconditional half.
                var perTrialTerm = terms.Length / Count;
                var conditional = new float[samples * perTrialTerm];
                layout.Spread(trial, terms, perTrialTerm, conditional);
                added ??= new Models.AddedConditions(samples);
                added.Set(Models.UNetAddedInputs.TimeEmbeddingTerm, conditional, new float[conditional.Length]);
            }

            var finals = components.Denoising.Generate(request, samples, conditioning, new float[conditioning.Length], [], clock, cancellationToken, added);

            var scores = new float[samples];
            var chosen = 0;
            if (targets is not null)
            {
                chosen = components.SelectClosestToBrain(finals, targets, trial, Count, model, scores, cancellationToken);
            }

            clock.Lap("selection");
            return new BestOfN(model, finals, scores, chosen).ToReconstruction(request, clock, usedPrior: false);
        }
    }
}
