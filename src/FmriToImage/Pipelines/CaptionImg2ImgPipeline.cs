using FmriToImage.Bundle;
using FmriToImage.Imaging;

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
internal static class CaptionImg2ImgPipeline
{
    public static PreparedTrials Prepare(DecoderComponents components, ReadOnlySpan<float> voxels, int trials, ReconstructionRequest request, CancellationToken cancellationToken)
    {
        var clock = new StageClock();
        var models = components.VoxelEncoders.Where(e => e.Entry.Role == VoxelEncoderRole.VaeLatent).ToArray();
        var latentLength = components.LatentLength;

        // Latents in (trial, model) order: the low-level images, captions and embeddings follow that order.
        var latents = new float[trials * models.Length * latentLength];
        var perModel = new float[trials * latentLength];
        for (var m = 0; m < models.Length; m++)
        {
            models[m].Encode(voxels, trials, cancellationToken).Latent!.FlattenTo(perModel);
            for (var t = 0; t < trials; t++)
            {
                perModel.AsSpan(t * latentLength, latentLength).CopyTo(latents.AsSpan(((t * models.Length) + m) * latentLength));
            }
        }

        clock.Lap("voxel encoders");
        var lowLevel = components.DecodeImages(latents, trials * models.Length, cancellationToken);
        clock.Lap("low-level decoding");
        var captions = components.Captioner!.Caption(lowLevel, cancellationToken);
        clock.Lap("captioning");

        var text = components.TextEncoder!;
        var conditional = text.Encode(captions, cancellationToken).HiddenStates.ToArray();
        var unconditional = text.Encode([string.Empty], cancellationToken).HiddenStates.ToArray();
        clock.Lap("text encoding");
        var (lowEmbeddings, dimension) = components.EmbedImages(lowLevel, cancellationToken);
        clock.Lap("low-level embedding");
        return new Prepared(components, request, models.Select(m => m.Name).ToArray(), latents, lowLevel, captions, conditional, unconditional, lowEmbeddings, dimension, trials, clock);
    }

    private sealed class Prepared(
        DecoderComponents components,
        ReconstructionRequest request,
        string[] models,
        float[] latents,
        RgbImage[] lowLevel,
        IReadOnlyList<string> captions,
        float[] conditional,
        float[] unconditional,
        float[] lowEmbeddings,
        int dimension,
        int trials,
        StageClock batchedStages) : PreparedTrials(trials, batchedStages)
    {
        public override Reconstruction Complete(int trial, CancellationToken cancellationToken)
        {
            var clock = TrialClock();
            var latentLength = components.LatentLength;
            var perText = unconditional.Length;
            var samples = request.Samples!.Value;
            var batch = models.Length * samples;
            var conditioning = new float[batch * perText];
            var unconditioning = new float[batch * perText];
            var initLatents = new float[batch * latentLength];
            for (var m = 0; m < models.Length; m++)
            {
                var input = (trial * models.Length) + m;
                for (var s = 0; s < samples; s++)
                {
                    var k = (m * samples) + s;
                    conditional.AsSpan(input * perText, perText).CopyTo(conditioning.AsSpan(k * perText));
                    unconditional.CopyTo(unconditioning.AsSpan(k * perText));
                    latents.AsSpan(input * latentLength, latentLength).CopyTo(initLatents.AsSpan(k * latentLength));
                }
            }

            var finals = components.Generate(request, batch, conditioning, unconditioning, initLatents, clock, cancellationToken);

            var (finalEmbeddings, _) = components.EmbedImages(finals, cancellationToken);
            var pairedLow = new float[batch * dimension];
            for (var k = 0; k < batch; k++)
            {
                lowEmbeddings.AsSpan(((trial * models.Length) + (k / samples)) * dimension, dimension).CopyTo(pairedLow.AsSpan(k * dimension));
            }

            var scores = new float[batch];
            var chosen = EnsembleVoting.Vote(pairedLow, finalEmbeddings, dimension, scores);
            clock.Lap("voting");

            var trialCaptions = captions.Skip(trial * models.Length).Take(models.Length).ToArray();
            var candidates = Enumerable.Range(0, batch)
                .Select(k => new ReconstructionCandidate(models[k / samples], k % samples, finals[k], scores[k], trialCaptions[k / samples]))
                .ToArray();
            return new Reconstruction
            {
                Pipeline = ReconstructionPipeline.CaptionImg2Img,
                Image = finals[chosen],
                LowLevelImages = lowLevel.Skip(trial * models.Length).Take(models.Length).ToArray(),
                Captions = trialCaptions,
                Candidates = candidates,
                ChosenIndex = chosen,
                UsedPrior = false,
                Timings = clock.Timings,
                Request = request,
            };
        }
    }
}
