using FmriToImage.Bundle;
using FmriToImage.Diffusion;
using FmriToImage.Imaging;

namespace FmriToImage.Pipelines;

/// <summary>
/// MindEye / Brain-Diffuser style reconstruction: the high-level voxel encoder predicts image-encoder tokens and an
/// image embedding; the UNet, conditioned on the tokens (zeros unconditional), draws N samples — img2img from the
/// low-level latent when the bundle has a low-level encoder and strength &lt; 1 (MindEye: 0.85), else from noise — and
/// the sample whose image embedding is closest to the brain's predicted embedding wins.
/// </summary>
internal static class UnclipPipeline
{
    public static Reconstruction Run(DecoderComponents components, ReadOnlySpan<float> voxels, ReconstructionRequest request, CancellationToken cancellationToken)
    {
        var clock = new StageClock();
        var high = components.VoxelEncoders.First(e => e.Entry.Role == VoxelEncoderRole.ImageTokens);
        var encoding = high.Encode(voxels, 1, cancellationToken);
        var tokens = encoding.ImageTokens!.ToArray();
        var target = encoding.ImageEmbedding?.ToArray()
            ?? throw new BundleContractException(components.Bundle.RootPath, [$"{high}: best-of-N selection needs its 'image_embedding' output."]);

        var latentLength = components.LatentLength;
        var strength = request.Strength!.Value;
        var low = strength < 1 ? components.VoxelEncoders.FirstOrDefault(e => e.Entry.Role == VoxelEncoderRole.VaeLatent) : null;
        float[]? lowLatent = null;
        if (low is not null)
        {
            lowLatent = new float[latentLength];
            low.Encode(voxels, 1, cancellationToken).Latent!.FlattenTo(lowLatent);
        }

        clock.Lap("voxel encoders");
        var lowLevel = lowLatent is null ? [] : components.DecodeImages(lowLatent, 1, cancellationToken);
        clock.Lap("low-level decoding");

        var samples = request.Samples!.Value;
        var conditioning = new float[samples * tokens.Length];
        var initLatents = lowLatent is null ? [] : new float[samples * latentLength];
        for (var s = 0; s < samples; s++)
        {
            tokens.CopyTo(conditioning.AsSpan(s * tokens.Length));
            lowLatent?.CopyTo(initLatents.AsSpan(s * latentLength));
        }

        var finalLatents = components.Diffuse(
            new DiffusionRequest
            {
                BatchSize = samples,
                LatentLength = latentLength,
                Noise = new GaussianNoiseSource(request.Seed),
                Conditioning = conditioning,
                UnconditionalConditioning = new float[conditioning.Length],
                InitLatents = initLatents,
                NumInferenceSteps = request.Steps!.Value,
                GuidanceScale = request.Guidance!.Value,
                Strength = lowLatent is null ? 1.0 : strength,
                Eta = request.Eta,
            },
            cancellationToken);
        clock.Lap("diffusion");
        var finals = components.DecodeImages(finalLatents, samples, cancellationToken);
        clock.Lap("decoding");

        var (embeddings, dimension) = components.EmbedImages(finals, cancellationToken);
        if (dimension != target.Length)
        {
            throw new BundleContractException(components.Bundle.RootPath, [$"{high}: 'image_embedding' has {target.Length} values but the image encoder's 'image_embeds' has {dimension}; they must live in one space to compare."]);
        }

        var scores = new float[samples];
        var chosen = EnsembleVoting.SelectClosest(target, embeddings, dimension, scores);
        clock.Lap("selection");

        return new Reconstruction
        {
            Pipeline = ReconstructionPipeline.Unclip,
            Image = finals[chosen],
            LowLevelImages = lowLevel,
            Captions = [],
            Candidates = Enumerable.Range(0, samples).Select(s => new ReconstructionCandidate(high.Name, s, finals[s], scores[s], null)).ToArray(),
            ChosenIndex = chosen,
            Timings = clock.Timings,
            Request = request with { Strength = lowLatent is null ? 1.0 : strength },
        };
    }
}
