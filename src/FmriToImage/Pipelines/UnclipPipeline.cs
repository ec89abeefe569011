using FmriToImage.Bundle;
using FmriToImage.Imaging;

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
internal static class UnclipPipeline
{
    public static PreparedTrials Prepare(DecoderComponents components, ReadOnlySpan<float> voxels, int trials, ReconstructionRequest request, CancellationToken cancellationToken)
    {
        var clock = new StageClock();
        var high = components.HighLevelEncoder
            ?? throw new InvalidOperationException("unCLIP was prepared for a bundle without a high-level voxel encoder; its availability check should have refused it.");
        var encoding = high.Encode(voxels, trials, cancellationToken);
        var tokens = encoding.ImageTokens!.ToArray();
        var targets = encoding.ImageEmbedding?.ToArray()
            ?? throw new BundleContractException(components.Bundle.RootPath, [$"{high}: best-of-N selection needs its 'image_embedding' output."]);

        var low = request.Strength!.Value < 1 ? components.VoxelEncoders.FirstOrDefault(e => e.Entry.Role == VoxelEncoderRole.VaeLatent) : null;
        var lowLatents = low?.Encode(voxels, trials, cancellationToken).Latent!.ToArray();
        clock.Lap("voxel encoders");

        if (request.UsePrior == true)
        {
            tokens = components.RunPrior(tokens, trials, request.PriorSteps!.Value, request.PriorEta!.Value, request.Seed, cancellationToken);
            clock.Lap("prior");
        }

        var lowLevel = lowLatents is null ? [] : components.DecodeImages(lowLatents, trials, cancellationToken);
        clock.Lap("low-level decoding");
        var filled = request with { Strength = lowLatents is null ? 1.0 : request.Strength };
        return new Prepared(components, filled, high.Name, tokens, targets, lowLatents, lowLevel, trials, clock);
    }

    private sealed class Prepared(
        DecoderComponents components,
        ReconstructionRequest request,
        string model,
        float[] tokens,
        float[] targets,
        float[]? lowLatents,
        RgbImage[] lowLevel,
        int trials,
        StageClock batchedStages) : PreparedTrials(trials, batchedStages)
    {
        public override Reconstruction Complete(int trial, CancellationToken cancellationToken)
        {
            var clock = TrialClock();
            var latentLength = components.LatentLength;
            var perTrialTokens = tokens.Length / Count;
            var dimensionTarget = targets.Length / Count;
            var samples = request.Samples!.Value;
            var conditioning = new float[samples * perTrialTokens];
            var initLatents = lowLatents is null ? [] : new float[samples * latentLength];
            for (var s = 0; s < samples; s++)
            {
                tokens.AsSpan(trial * perTrialTokens, perTrialTokens).CopyTo(conditioning.AsSpan(s * perTrialTokens));
                lowLatents?.AsSpan(trial * latentLength, latentLength).CopyTo(initLatents.AsSpan(s * latentLength));
            }

            var finals = components.Generate(request, samples, conditioning, new float[conditioning.Length], initLatents, clock, cancellationToken);

            var (embeddings, dimension) = components.EmbedImages(finals, cancellationToken);
            if (dimension != dimensionTarget)
            {
                throw new BundleContractException(components.Bundle.RootPath, [$"voxel encoder '{model}': 'image_embedding' has {dimensionTarget} values but the image encoder's 'image_embeds' has {dimension}; they must live in one space to compare."]);
            }

            var scores = new float[samples];
            var chosen = EnsembleVoting.SelectClosest(targets.AsSpan(trial * dimension, dimension), embeddings, dimension, scores);
            clock.Lap("selection");

            return new Reconstruction
            {
                Pipeline = ReconstructionPipeline.Unclip,
                Image = finals[chosen],
                LowLevelImages = lowLatents is null ? [] : [lowLevel[trial]],
                Captions = [],
                Candidates = Enumerable.Range(0, samples).Select(s => new ReconstructionCandidate(model, s, finals[s], scores[s], null)).ToArray(),
                ChosenIndex = chosen,
                UsedPrior = request.UsePrior == true,
                Timings = clock.Timings,
                Request = request,
            };
        }
    }
}
