using FmriToImage.Bundle;
using FmriToImage.Diffusion;
using FmriToImage.Imaging;

namespace FmriToImage.Pipelines;

/// <summary>
/// The seed student pipeline: for each bagged low-level voxel encoder m — voxels → scaled VAE latent → low-level
/// image → caption → text conditioning; then one batched img2img run over every (model, sample) pair from that model's
/// latent, conditioned on its caption (the empty caption unconditional); then CLIP voting: each candidate's score is the
/// cosine similarity between the image embeddings of its final image and of its model's low-level image, and the
/// highest wins.
/// </summary>
internal static class CaptionImg2ImgPipeline
{
    public static Reconstruction Run(DecoderComponents components, ReadOnlySpan<float> voxels, ReconstructionRequest request, CancellationToken cancellationToken)
    {
        var clock = new StageClock();
        var models = components.VoxelEncoders.Where(e => e.Entry.Role == VoxelEncoderRole.VaeLatent).ToArray();
        var latentLength = components.LatentLength;
        var modelLatents = new float[models.Length * latentLength];
        for (var m = 0; m < models.Length; m++)
        {
            models[m].Encode(voxels, 1, cancellationToken).Latent!.FlattenTo(modelLatents.AsSpan(m * latentLength, latentLength));
        }

        clock.Lap("voxel encoders");
        var lowLevel = components.DecodeImages(modelLatents, models.Length, cancellationToken);
        clock.Lap("low-level decoding");
        var captions = components.Captioner!.Caption(lowLevel, cancellationToken);
        clock.Lap("captioning");

        var text = components.TextEncoder!;
        var conditional = text.Encode(captions, cancellationToken).HiddenStates.ToArray();
        var unconditional = text.Encode([string.Empty], cancellationToken).HiddenStates.ToArray();
        var perText = conditional.Length / models.Length;
        clock.Lap("text encoding");

        var samples = request.Samples!.Value;
        var batch = models.Length * samples;
        var conditioning = new float[batch * perText];
        var unconditioning = new float[batch * perText];
        var initLatents = new float[batch * latentLength];
        for (var m = 0; m < models.Length; m++)
        {
            for (var s = 0; s < samples; s++)
            {
                var k = (m * samples) + s;
                conditional.AsSpan(m * perText, perText).CopyTo(conditioning.AsSpan(k * perText));
                unconditional.CopyTo(unconditioning.AsSpan(k * perText));
                modelLatents.AsSpan(m * latentLength, latentLength).CopyTo(initLatents.AsSpan(k * latentLength));
            }
        }

        var finalLatents = components.Diffuse(
            new DiffusionRequest
            {
                BatchSize = batch,
                LatentLength = latentLength,
                Noise = new GaussianNoiseSource(request.Seed),
                Conditioning = conditioning,
                UnconditionalConditioning = unconditioning,
                InitLatents = initLatents,
                NumInferenceSteps = request.Steps!.Value,
                GuidanceScale = request.Guidance!.Value,
                Strength = request.Strength!.Value,
                Eta = request.Eta,
            },
            cancellationToken);
        clock.Lap("diffusion");
        var finals = components.DecodeImages(finalLatents, batch, cancellationToken);
        clock.Lap("decoding");

        var (lowEmbeddings, dimension) = components.EmbedImages(lowLevel, cancellationToken);
        var (finalEmbeddings, _) = components.EmbedImages(finals, cancellationToken);
        var pairedLow = new float[batch * dimension];
        for (var k = 0; k < batch; k++)
        {
            lowEmbeddings.AsSpan(k / samples * dimension, dimension).CopyTo(pairedLow.AsSpan(k * dimension));
        }

        var scores = new float[batch];
        var chosen = EnsembleVoting.Vote(pairedLow, finalEmbeddings, dimension, scores);
        clock.Lap("voting");

        var candidates = Enumerable.Range(0, batch)
            .Select(k => new ReconstructionCandidate(models[k / samples].Name, k % samples, finals[k], scores[k], captions[k / samples]))
            .ToArray();
        return new Reconstruction
        {
            Pipeline = ReconstructionPipeline.CaptionImg2Img,
            Image = finals[chosen],
            LowLevelImages = lowLevel,
            Captions = captions,
            Candidates = candidates,
            ChosenIndex = chosen,
            Timings = clock.Timings,
            Request = request,
        };
    }
}
