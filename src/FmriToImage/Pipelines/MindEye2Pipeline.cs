using FmriToImage.Bundle;
using FmriToImage.Imaging;
using FmriToImage.Reconstructions;

namespace FmriToImage.Pipelines;

/// <summary>
/// MindEye2's decoding half: brain side (high-level encoder → image tokens, the prior when the bundle has one) →
/// unCLIP image (the UNet conditioned on the tokens, best-of-N by the brain's predicted embedding) → caption (from the
/// tokens when the captioner has a token converter, else from the unCLIP image) → refinement (img2img of the unCLIP
/// image with its caption) → blend (final = w·refined + (1 − w)·blurry low-level image). Refinement and blend are
/// optional per bundle (<c>fmri_decoder.json</c> → <c>pipelines.mindeye2</c> <c>refine</c>, <c>blend</c>).
/// </summary>
/// <remarks>
/// The stages are timed under their own names, the caption's saying its source: "captioning (image tokens)" or
/// "captioning (unCLIP image)". One UNet serves both diffusion stages (the bundle's; MindEye2 refines with a separate
/// SDXL checkpoint, which a bundle cannot name yet). The refinement encodes the unCLIP image with the VAE encoder's
/// mean (no sampling noise) and runs the bundle's scheduler with <c>refine_steps</c>, <c>refine_strength</c>,
/// <c>refine_guidance</c>; its noise stream is <see cref="RefineSeed"/> of the request's seed.
/// </remarks>
internal sealed class MindEye2Pipeline : IPipeline
{
    /// <summary>The refinement's noise seed for a request seed: the seed XOR "refine" in ASCII, a stream of its own.</summary>
    public static ulong RefineSeed(ulong seed) => seed ^ 0x726566696E65UL;

    /// <summary>
    /// Checks the refinement and blend defaults of <paramref name="defaults"/> (load time) against the scheduler the
    /// refinement runs on (the pipeline's: the bundle's or its override), named <paramref name="source"/> in messages.
    /// </summary>
    public void CheckOwnDefaults(BundleScheduler scheduler, string source, PipelineDefaults defaults, string owner, List<string> problems)
    {
        if (defaults.Refine)
        {
            foreach (var problem in DiffusionSettings.Check(scheduler, source, defaults.RefineSteps, defaults.RefineStrength, defaults.RefineGuidance, samples: 1, eta: 0))
            {
                problems.Add(DiffusionSettings.Describe(problem with { Setting = "refine_" + problem.Setting }, owner));
            }
        }

        if (defaults.Blend && !(defaults.BlendWeight is >= 0 and <= 1))
        {
            problems.Add(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{owner}blend_weight is {defaults.BlendWeight}; it must lie in [0, 1]."));
        }
    }

    /// <summary>
    /// What the stages the bundle turns on need beyond the table's row, or null: the refinement a captioner (both graphs,
    /// its preprocessing), the text encoder and the VAE encoder; the blend a low-level encoder. The decoder's
    /// availability report includes it, so a request fails before any network runs.
    /// </summary>
    public string? MissingForStages(DecoderComponents components, PipelineDefaults defaults)
    {
        if (defaults.Refine)
        {
            var needed = new (bool Present, string Path)[]
            {
                (components.Bundle.CaptionerVision is not null, BundleLayout.PathOf(BundleComponentKind.CaptionerVision)),
                (components.Bundle.CaptionerDecoder is not null, BundleLayout.PathOf(BundleComponentKind.CaptionerDecoder)),
                (components.Bundle.HasFile(BundleLayout.CaptionerPreprocessor), BundleLayout.CaptionerPreprocessor),
                (components.TextEncoder is not null, BundleLayout.PathOf(BundleComponentKind.TextEncoder)),
                (components.VaeEncoder is not null, BundleLayout.PathOf(BundleComponentKind.VaeEncoder)),
            };
            if (needed.FirstOrDefault(n => !n.Present) is { Path: { } missing })
            {
                return missing;
            }
        }

        return defaults.Blend && !components.LowLevelEncoders.Any()
            ? $"{ModelBundle.DecoderManifestFileName}: a voxel encoder with role 'vae_latent' (the blend needs the blurry low-level image)"
            : null;
    }

    /// <inheritdoc />
    public PreparedTrials Prepare(DecoderComponents components, ReadOnlySpan<float> voxels, int trials, ResolvedRequest request, CancellationToken cancellationToken)
    {
        var defaults = components.DefaultsFor(request.Row);
        var clock = new StageClock();
        var brain = UnclipStage.EncodeBrain(components, voxels, trials, request, lowLevel: true, clock, cancellationToken);

        IReadOnlyList<string>? tokenCaptions = null;
        if (defaults.Refine && components.Captioner!.CaptionsFromTokens)
        {
            tokenCaptions = components.Captioner.CaptionTokens(brain.Tokens, trials, brain.TokenCount, brain.TokenWidth, cancellationToken);
            clock.Lap("captioning (image tokens)");
        }

        var unclip = request with { Strength = request.Strength < 1 && brain.LowLatents is not null ? request.Strength : 1.0 };
        return new Prepared(components, unclip, defaults, new BatchLayout(trials, 1, request.Samples), brain.Model, brain.Tokens, brain.Targets, brain.LowLatents, brain.LowImages, tokenCaptions, clock);
    }

    /// <summary>The pixel blend w·a + (1 − w)·b of two images of one size, rounded to the nearest grey level.</summary>
    /// <exception cref="ArgumentException">The sizes differ.</exception>
    public static RgbImage Blend(RgbImage a, RgbImage b, double weight)
    {
        if (a.Width != b.Width || a.Height != b.Height)
        {
            throw new ArgumentException($"The blend needs images of one size; the refined image is {a.Width}×{a.Height}, the low-level image {b.Width}×{b.Height}.", nameof(b));
        }

        var result = new RgbImage(a.Width, a.Height);
        var x = a.Pixels;
        var y = b.Pixels;
        var z = result.Pixels;
        for (var k = 0; k < z.Length; k++)
        {
            z[k] = (byte)Math.Clamp(Math.Round((weight * x[k]) + ((1 - weight) * y[k]), MidpointRounding.ToEven), 0, 255);
        }

        return result;
    }

    private sealed class Prepared(
        DecoderComponents components,
        ResolvedRequest request,
        PipelineDefaults defaults,
        BatchLayout layout,
        string model,
        float[] tokens,
        float[] targets,
        float[]? lowLatents,
        RgbImage[] blurry,
        IReadOnlyList<string>? tokenCaptions,
        StageClock batchedStages) : PreparedTrials(layout.Trials, batchedStages)
    {
        public override Reconstruction Complete(int trial, CancellationToken cancellationToken)
        {
            var clock = TrialClock();
            var dimension = targets.Length / Count;
            var best = UnclipStage.Run(components, request, layout, trial, tokens, targets, request.Strength < 1 ? lowLatents : null, model, clock, ("unclip diffusion", "unclip decoding"), cancellationToken);
            var image = best.Candidates[best.Chosen];

            string? caption = null;
            if (defaults.Refine)
            {
                caption = tokenCaptions?[trial];
                if (caption is null)
                {
                    caption = components.Captioner!.Caption([image], cancellationToken)[0];
                    clock.Lap("captioning (unCLIP image)");
                }

                image = Refine(image, caption, targets.AsSpan(trial * dimension, dimension).ToArray(), clock, cancellationToken);
            }

            var trialBlurry = blurry.Length > 0 ? blurry[trial] : null;
            if (defaults.Blend)
            {
                image = Blend(image, trialBlurry!, defaults.BlendWeight);
                clock.Lap("blend");
            }

            return best.ToReconstruction(request, clock, request.UsePrior, trialBlurry, caption, image);
        }

        /// <summary>img2img of the unCLIP image with its caption (the empty caption unconditional), one sample.</summary>
        private RgbImage Refine(RgbImage image, string caption, float[] embedding, StageClock clock, CancellationToken cancellationToken)
        {
            var encoded = components.TextEncoder!.Encode([caption], cancellationToken);
            var conditioning = encoded.HiddenStates.Release();
            var pooled = encoded.Embeddings?.Release();
            var unconditioning = components.EmptyCaptionStates(cancellationToken).ToArray();
            var pixels = new float[3 * image.Width * image.Height];
            ImageTensor.ToChw(image, ImageNormalization.SignedUnit, pixels);
            var latents = components.VaeEncoder!.Encode(pixels, 1, image.Height, image.Width, cancellationToken: cancellationToken);
            var init = new float[latents.FlattenedLength];
            latents.FlattenTo(init);
            clock.Lap("refine encoding");
            var refine = request with
            {
                Steps = defaults.RefineSteps,
                Strength = defaults.RefineStrength,
                Guidance = defaults.RefineGuidance,
                Eta = 0,
                Seed = RefineSeed(request.Seed),
            };
            var added = components.ConditionsFor(refine, 1, pooled, embedding, "MindEye2 refinement", cancellationToken);
            return components.Denoising.Generate(refine, 1, conditioning, unconditioning, init, clock, cancellationToken, added, "refine diffusion", "refine decoding")[0];
        }
    }
}
