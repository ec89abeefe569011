using FmriToImage.Bundle;

namespace FmriToImage.Pipelines;

/// <summary>
/// What the unCLIP and MindEye2 pipelines share: the brain side of a batch (<see cref="EncodeBrain"/>), then, for one
/// trial, the unCLIP stage: the UNet conditioned on the trial's image
/// tokens (zeros unconditional; the brain's embedding for a UNet's <c>class_labels</c>) draws N candidates — img2img
/// from the low-level latent when given, else from noise — and the candidate whose image embedding is closest
/// (cosine) to the brain's predicted embedding wins.
/// </summary>
internal static class UnclipStage
{
    /// <summary>
    /// The brain side of a batch of <paramref name="trials"/>: the high-level encoder's image tokens (T × D each) and
    /// embedding, the first low-level encoder's latents when <paramref name="lowLevel"/> asks for them (repeats
    /// averaged by outputs as the request says), then the prior over the tokens when the request uses it, and the
    /// low-level latents' decoded images; laps "voxel encoders", "prior" (when it ran) and "low-level decoding".
    /// </summary>
    /// <exception cref="BundleContractException">The high-level encoder has no <c>image_embedding</c> output.</exception>
    public static BrainSide EncodeBrain(DecoderComponents components, ReadOnlySpan<float> voxels, int trials, ResolvedRequest request, bool lowLevel, StageClock clock, CancellationToken cancellationToken)
    {
        var high = components.HighLevelEncoder
            ?? throw new InvalidOperationException($"{request.Row.Name} was prepared for a bundle without a high-level voxel encoder; its availability check should have refused it.");
        var encoding = high.Encode(voxels, trials, request.Repeats, cancellationToken);
        var (tokenCount, tokenWidth) = ((int)encoding.ImageTokens!.Lengths[1], (int)encoding.ImageTokens.Lengths[2]);
        var tokens = encoding.ImageTokens.Release();
        var targets = encoding.ImageEmbedding?.Release()
            ?? throw new BundleContractException(components.Bundle.RootPath, [$"{high}: best-of-N selection needs its 'image_embedding' output."]);
        var low = lowLevel ? components.LowLevelEncoders.FirstOrDefault() : null;
        var lowLatents = low?.Encode(voxels, trials, request.Repeats, cancellationToken).Latent!.Release();
        clock.Lap("voxel encoders");

        if (request.UsePrior)
        {
            tokens = components.Denoising.RunPrior(tokens, trials, request.PriorSteps, request.PriorEta, request.Seed, cancellationToken);
            clock.Lap("prior");
        }

        var lowImages = lowLatents is null ? [] : components.DecodeImages(lowLatents, trials, cancellationToken);
        clock.Lap("low-level decoding");
        return new BrainSide(high.Name, tokens, tokenCount, tokenWidth, targets, lowLatents, lowImages);
    }

    /// <summary>The trial's candidates, their scores and the chosen one; laps the diffusion, decoding and "selection".</summary>
    /// <param name="components">The decoder's networks.</param>
    /// <param name="request">The stage's settings (img2img when <paramref name="lowLatents"/> is given).</param>
    /// <param name="layout">trials × 1 × samples.</param>
    /// <param name="trial">The trial within the batch.</param>
    /// <param name="tokens">Every trial's tokens (trials × T × D).</param>
    /// <param name="targets">Every trial's predicted image embedding (trials × E).</param>
    /// <param name="lowLatents">Every trial's low-level latent for img2img, or null to start from noise.</param>
    /// <param name="model">The high-level encoder's name, for messages.</param>
    /// <param name="clock">The trial's clock.</param>
    /// <param name="stages">The lap names of the diffusion and the decoding.</param>
    /// <param name="cancellationToken">Cancels between and during runs.</param>
    public static BestOfN Run(
        DecoderComponents components, ResolvedRequest request, BatchLayout layout, int trial, float[] tokens, float[] targets, float[]? lowLatents,
        string model, StageClock clock, (string Diffusion, string Decoding) stages, CancellationToken cancellationToken)
    {
        var latentLength = components.LatentLength;
        var perTrialTokens = tokens.Length / layout.Trials;
        var dimension = targets.Length / layout.Trials;
        var samples = layout.Candidates;
        var conditioning = new float[samples * perTrialTokens];
        layout.Spread(trial, tokens, perTrialTokens, conditioning);
        var initLatents = lowLatents is null ? [] : new float[samples * latentLength];
        if (lowLatents is not null)
        {
            layout.Spread(trial, lowLatents, latentLength, initLatents);
        }

        var embeddings = new float[samples * dimension];
        layout.Spread(trial, targets, dimension, embeddings);
        var added = components.ConditionsFor(request, samples, pooled: null, embeddings, request.Row.Name, cancellationToken);
        var candidates = components.Denoising.Generate(request, samples, conditioning, new float[conditioning.Length], initLatents, clock, cancellationToken, added, stages.Diffusion, stages.Decoding);

        var scores = new float[samples];
        var chosen = components.SelectClosestToBrain(candidates, targets, trial, layout.Trials, model, scores, cancellationToken);
        clock.Lap("selection");
        return new BestOfN(model, candidates, scores, chosen);
    }
}
