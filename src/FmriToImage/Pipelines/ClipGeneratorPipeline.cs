using FmriToImage.Bundle;
using FmriToImage.Diffusion;
using FmriToImage.Reconstructions;

namespace FmriToImage.Pipelines;

/// <summary>
/// fMRI → CLIP → one-shot generator (the LAFITE / StyleGAN2 approach): the high-level voxel encoder predicts the
/// brain's CLIP image embedding; the bundle's generator turns it, with K noise vectors z, into K images in one run (no
/// diffusion loop); the image whose image-encoder embedding is closest (cosine) to the brain's embedding wins.
/// </summary>
/// <remarks>
/// Noise: every trial draws its K × Z numbers from one <see cref="GaussianNoiseSource"/> started at the request's seed
/// (<see cref="NoiseSeed"/>), draw k taking numbers k·Z … (k + 1)·Z − 1 — so a trial gets the same images alone or in a
/// batch, and equal seeds give equal images. <see cref="Prepare"/> runs the voxel encoder for a batch of trials;
/// <see cref="PreparedTrials.Complete"/> runs one trial's generator, image encoder and selection.
/// </remarks>
internal sealed class ClipGeneratorPipeline : IPipeline
{
    /// <summary>The seed of a trial's noise stream for a request seed: the seed itself.</summary>
    public static ulong NoiseSeed(ulong seed) => seed;

    /// <inheritdoc />
    public PreparedTrials Prepare(DecoderComponents components, ReadOnlySpan<float> voxels, int trials, ResolvedRequest request, CancellationToken cancellationToken)
    {
        var clock = new StageClock();
        var high = components.HighLevelEncoder
            ?? throw new InvalidOperationException("ClipGenerator was prepared for a bundle without a high-level voxel encoder; its availability check should have refused it.");
        var targets = high.Encode(voxels, trials, request.Repeats, cancellationToken).ImageEmbedding?.Release()
            ?? throw new BundleContractException(components.Bundle.RootPath, [$"{high}: the generator and best-of-K selection need its 'image_embedding' output."]);
        clock.Lap("voxel encoders");
        return new Prepared(components, request, high.Name, targets, trials, clock);
    }

    private sealed class Prepared(DecoderComponents components, ResolvedRequest request, string model, float[] targets, int trials, StageClock batchedStages)
        : PreparedTrials(trials, batchedStages)
    {
        public override Reconstruction Complete(int trial, CancellationToken cancellationToken)
        {
            var clock = TrialClock();
            var generator = components.Generator!;
            var draws = request.Samples;
            var width = targets.Length / Count;
            var target = targets.AsSpan(trial * width, width);
            var embeddings = new float[draws * width];
            for (var k = 0; k < draws; k++)
            {
                target.CopyTo(embeddings.AsSpan(k * width, width));
            }

            var noise = new float[draws * generator.NoiseWidth];
            new GaussianNoiseSource(NoiseSeed(request.Seed)).Fill(noise);
            var images = generator.Generate(embeddings, noise, draws, cancellationToken);
            clock.Lap("generator");

            var (imageEmbeddings, dimension) = components.EmbedImages(images, cancellationToken);
            if (dimension != width)
            {
                throw new BundleContractException(components.Bundle.RootPath, [$"voxel encoder '{model}': 'image_embedding' has {width} values but the image encoder's 'image_embeds' has {dimension}; they must live in one space to compare."]);
            }

            var scores = new float[draws];
            var chosen = EnsembleVoting.SelectClosest(target, imageEmbeddings, dimension, scores);
            clock.Lap("selection");
            return new BestOfN(model, images, scores, chosen).ToReconstruction(request, clock, usedPrior: false);
        }
    }
}
