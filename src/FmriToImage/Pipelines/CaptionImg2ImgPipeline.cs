using FmriToImage.Imaging;
using FmriToImage.Reconstructions;

namespace FmriToImage.Pipelines;

/// <summary>
/// The seed student pipeline: for each bagged low-level voxel encoder m — voxels → scaled VAE latent → low-level
/// image → caption → text conditioning; then one batched img2img run over every (model, sample) pair from that model's
/// latent, conditioned on its caption (the empty caption unconditional); then CLIP voting: each candidate's score is the
/// cosine similarity between the image embeddings of its final image and of its model's low-level image, and the
/// highest wins.
/// </summary>
/// <remarks>
/// <see cref="Prepare"/> runs everything before the diffusion for a batch of trials at once (one run per network for
/// trials × models inputs); <see cref="PreparedTrials.Complete"/> then runs one trial's diffusion, decoding and vote.
/// </remarks>
internal sealed class CaptionImg2ImgPipeline : IPipeline
{
    /// <inheritdoc />
    public PreparedTrials Prepare(DecoderComponents components, ReadOnlySpan<float> voxels, int trials, ResolvedRequest request, CancellationToken cancellationToken)
    {
        var clock = new StageClock();
        var models = components.LowLevelEncoders.ToArray();
        var latentLength = components.LatentLength;
        var layout = new BatchLayout(trials, models.Length, request.Samples);

        // Latents in (trial, model) order: the low-level images, captions and embeddings follow that order.
        var latents = new float[layout.Inputs * latentLength];
        for (var m = 0; m < models.Length; m++)
        {
            var perModel = models[m].Encode(voxels, trials, request.Repeats, cancellationToken).Latent!.Span;
            for (var t = 0; t < trials; t++)
            {
                perModel.Slice(t * latentLength, latentLength).CopyTo(latents.AsSpan(layout.Input(t, m) * latentLength));
            }
        }

        clock.Lap("voxel encoders");
        var lowLevel = components.DecodeImages(latents, trials * models.Length, cancellationToken);
        clock.Lap("low-level decoding");
        var captions = components.Captioner!.Caption(lowLevel, cancellationToken);
        clock.Lap("captioning");

        var text = components.TextEncoder!;
        var encoded = text.Encode(captions, cancellationToken);
        var conditional = encoded.HiddenStates.Release();
        var pooled = encoded.Embeddings?.Release();
        _ = components.EmptyCaptionStates(cancellationToken).Length; // the unconditional states: encoded once per decoder, on first use
        clock.Lap("text encoding");
        var (lowEmbeddings, dimension) = components.EmbedImages(lowLevel, cancellationToken);
        clock.Lap("low-level embedding");
        return new Prepared(components, request, layout, models.Select(m => m.Name).ToArray(), latents, lowLevel, captions, conditional, pooled, lowEmbeddings, dimension, clock);
    }

    private sealed class Prepared(
        DecoderComponents components,
        ResolvedRequest request,
        BatchLayout layout,
        string[] models,
        float[] latents,
        RgbImage[] lowLevel,
        IReadOnlyList<string> captions,
        float[] conditional,
        float[]? pooled,
        float[] lowEmbeddings,
        int dimension,
        StageClock batchedStages) : PreparedTrials(layout.Trials, batchedStages)
    {
        public override Reconstruction Complete(int trial, CancellationToken cancellationToken)
        {
            var clock = TrialClock();
            var latentLength = components.LatentLength;
            var unconditional = components.EmptyCaptionStates(cancellationToken);
            var perText = unconditional.Length;
            var batch = layout.Candidates;
            var conditioning = new float[batch * perText];
            var unconditioning = new float[batch * perText];
            var initLatents = new float[batch * latentLength];
            layout.Spread(trial, conditional, perText, conditioning);
            layout.Spread(trial, latents, latentLength, initLatents);
            for (var k = 0; k < batch; k++)
            {
                unconditional.CopyTo(unconditioning.AsSpan(k * perText));
            }

            float[]? pooledRows = null;
            if (pooled is not null && components.Conditions.Inputs.TextEmbedsWidth is not null)
            {
                var perPooled = pooled.Length / layout.Inputs;
                pooledRows = new float[batch * perPooled];
                layout.Spread(trial, pooled, perPooled, pooledRows);
            }

            var added = components.ConditionsFor(request, batch, pooledRows, imageEmbeddings: null, request.Row.Name, cancellationToken);
            var finals = components.Denoising.Generate(request, batch, conditioning, unconditioning, initLatents, clock, cancellationToken, added);

            var (finalEmbeddings, _) = components.EmbedImages(finals, cancellationToken);
            var pairedLow = new float[batch * dimension];
            layout.Spread(trial, lowEmbeddings, dimension, pairedLow);

            var scores = new float[batch];
            var chosen = EnsembleVoting.Vote(pairedLow, finalEmbeddings, dimension, scores);
            clock.Lap("voting");

            var trialCaptions = captions.Skip(layout.Input(trial, 0)).Take(models.Length).ToArray();
            var trialLowLevel = lowLevel.Skip(layout.Input(trial, 0)).Take(models.Length).ToArray();
            var candidates = Enumerable.Range(0, batch)
                .Select(k => new ReconstructionCandidate(models[layout.ModelOf(k)], layout.SampleOf(k), finals[k], scores[k], trialCaptions[layout.ModelOf(k)], trialLowLevel[layout.ModelOf(k)]))
                .ToArray();
            return new Reconstruction
            {
                Pipeline = request.Pipeline,
                Image = finals[chosen],
                LowLevelImages = trialLowLevel,
                Captions = trialCaptions,
                Candidates = candidates,
                ChosenIndex = chosen,
                UsedPrior = false,
                Timings = clock.Timings,
                Request = request.ToRequest(),
            };
        }
    }
}
