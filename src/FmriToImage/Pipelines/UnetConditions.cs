using System.Globalization;
using FmriToImage.Bundle;
using FmriToImage.Data.Npy;
using FmriToImage.Diffusion;
using FmriToImage.Models;

namespace FmriToImage.Pipelines;

/// <summary>
/// Fills a UNet's added-condition inputs for one denoising loop (<see cref="UNetAddedInputs"/>), from the manifest's
/// pipeline settings and what the pipeline has: SDXL's <c>time_ids</c> (original size, crop top-left, target size —
/// or the aesthetic score for a 5-value refiner), <c>text_embeds</c> (the caption's pooled embedding; the empty
/// caption's unconditionally and on stages without a caption, as SDXL encodes an empty prompt) and unCLIP's
/// <c>class_labels</c> (<see cref="UnclipNoiseAugmentation"/> of the brain's image embedding; zeros unconditionally).
/// </summary>
/// <remarks>
/// The unCLIP noise augmentation reads the bundle's <c>image_noising_scheduler/scheduler_config.json</c> (a diffusers
/// DDPM config; its ᾱ) and <c>image_normalizer/mean.npy</c>, <c>image_normalizer/std.npy</c> (the
/// StableUnCLIPImageNormalizer's statistics), checked at load when the UNet takes <c>class_labels</c>. Its noise is
/// <see cref="GaussianNoiseSource"/>(<see cref="NoiseSeed"/>(seed)), a stream of its own. Immutable and thread-safe.
/// </remarks>
internal sealed class UnetConditions
{
    /// <summary>The noising scheduler's config (diffusers' stable-unCLIP layout).</summary>
    public const string NoisingSchedulerPath = "image_noising_scheduler/scheduler_config.json";

    /// <summary>The image normaliser's mean and standard deviation, E float values each.</summary>
    public const string NormalizerMeanPath = "image_normalizer/mean.npy", NormalizerStdPath = "image_normalizer/std.npy";

    private readonly float[] _mean;
    private readonly float[] _std;
    private readonly double[] _alphasCumprod;

    private UnetConditions(UNetAddedInputs inputs, float[] mean, float[] std, double[] alphasCumprod)
    {
        Inputs = inputs;
        _mean = mean;
        _std = std;
        _alphasCumprod = alphasCumprod;
    }

    /// <summary>The UNet's added inputs.</summary>
    public UNetAddedInputs Inputs { get; }

    /// <summary>The number of noise levels the noising scheduler has (0 without <c>class_labels</c>).</summary>
    public int NoiseLevels => _alphasCumprod.Length;

    /// <summary>The noise augmentation's seed for a request seed: the seed XOR "noiseaug" in ASCII.</summary>
    public static ulong NoiseSeed(ulong seed) => seed ^ 0x6E6F697365617567UL;

    /// <summary>
    /// Reads what <paramref name="inputs"/> need of the bundle (for <c>class_labels</c>: the noising scheduler and the
    /// normaliser, whose width must be half the labels'); every problem is added to <paramref name="problems"/>.
    /// </summary>
    public static UnetConditions Load(ModelBundle bundle, UNetAddedInputs inputs, List<string> problems)
    {
        if (inputs.ClassLabelsWidth is not { } labels)
        {
            return new UnetConditions(inputs, [], [], []);
        }

        var width = labels / 2;
        double[] alphas = [];
        float[] mean = [], std = [];
        var missing = new[] { NoisingSchedulerPath, NormalizerMeanPath, NormalizerStdPath }.Where(f => !bundle.HasFile(f)).ToArray();
        foreach (var file in missing)
        {
            problems.Add($"unet/model.onnx takes 'class_labels' (unCLIP noise augmentation), which needs {file}; the bundle has none.");
        }

        if (missing.Length > 0)
        {
            return new UnetConditions(inputs, [], [], []);
        }

        try
        {
            alphas = new DdimScheduler(DdimSchedulerConfig.FromJson(bundle.ReadJson(NoisingSchedulerPath))).AlphasCumprod.ToArray();
        }
        catch (Exception e) when (e is SchedulerConfigException or NotSupportedException or ArgumentException)
        {
            problems.Add($"{NoisingSchedulerPath}: {e.Message}");
        }

        mean = Vector(bundle, NormalizerMeanPath, width, problems);
        std = Vector(bundle, NormalizerStdPath, width, problems);
        if (std.Any(s => !(s > 0) || !float.IsFinite(s)) || mean.Any(m => !float.IsFinite(m)))
        {
            problems.Add($"{NormalizerStdPath}, {NormalizerMeanPath}: the standard deviations must be finite and > 0 and the means finite.");
        }

        return new UnetConditions(inputs, mean, std, alphas);
    }

    /// <summary>
    /// The added conditions of one loop over <paramref name="batch"/> images of <paramref name="imageHeight"/>×<paramref name="imageWidth"/>,
    /// or null when the UNet takes none.
    /// </summary>
    /// <param name="defaults">The pipeline's manifest settings (sizes, crop, aesthetic scores, noise level).</param>
    /// <param name="batch">N, the loop's batch (without the guidance halves).</param>
    /// <param name="imageHeight">The output image height.</param>
    /// <param name="imageWidth">The output image width.</param>
    /// <param name="pooled">N × P pooled caption embeddings, or null on a stage without captions (the empty caption's then).</param>
    /// <param name="emptyPooled">The empty caption's pooled embedding (P values), or null when there is no text encoder with one.</param>
    /// <param name="imageEmbeddings">N × E image embeddings for <c>class_labels</c>, or null when the stage has none.</param>
    /// <param name="seed">The request's seed (the augmentation noise is <see cref="NoiseSeed"/> of it).</param>
    /// <param name="stage">The stage, for messages.</param>
    /// <param name="bundleRoot">The bundle's folder, for messages.</param>
    /// <exception cref="BundleContractException">The UNet needs a value the stage cannot give (named).</exception>
    public AddedConditions? For(PipelineDefaults defaults, int batch, int imageHeight, int imageWidth, float[]? pooled, ReadOnlySpan<float> emptyPooled, float[]? imageEmbeddings, ulong seed, string stage, string bundleRoot)
    {
        if (!Inputs.Any)
        {
            return null;
        }

        var values = new AddedConditions(batch);
        if (Inputs.TextEmbedsWidth is { } p)
        {
            if (emptyPooled.Length != p)
            {
                throw new BundleContractException(bundleRoot, [$"unet/model.onnx takes 'text_embeds' [batch, {p}], which {stage} fills from text_encoder/model.onnx's pooled output ('text_embeds' or 'pooler_output'); it gives {emptyPooled.Length} values per text."]);
            }

            var unconditional = Repeat(emptyPooled, batch);
            var conditional = pooled ?? unconditional;
            if (conditional.Length != batch * p)
            {
                throw new BundleContractException(bundleRoot, [$"{stage}: {conditional.Length} pooled caption values are not {batch} rows of {p} (unet/model.onnx 'text_embeds')."]);
            }

            values.Set(UNetAddedInputs.TextEmbeds, conditional, unconditional);
        }

        if (Inputs.TimeIdsCount is { } n)
        {
            var (conditional, unconditional) = TimeIds(defaults, n, imageHeight, imageWidth);
            values.Set(UNetAddedInputs.TimeIds, Repeat(conditional, batch), Repeat(unconditional, batch));
        }

        if (Inputs.ClassLabelsWidth is { } c)
        {
            var width = c / 2;
            if (imageEmbeddings is null || imageEmbeddings.Length != batch * width)
            {
                throw new BundleContractException(bundleRoot, [string.Create(CultureInfo.InvariantCulture, $"unet/model.onnx takes 'class_labels' [batch, {c}] (image embedding ‖ noise level), but {stage} has {(imageEmbeddings is null ? "no image embedding" : $"{imageEmbeddings.Length} image-embedding values, not {batch} × {width}")}.")]);
            }

            var level = defaults.NoiseLevel;
            var noise = new float[batch * width];
            new GaussianNoiseSource(NoiseSeed(seed)).Fill(noise);
            var labels = new float[batch * c];
            for (var k = 0; k < batch; k++)
            {
                UnclipNoiseAugmentation.ClassLabels(imageEmbeddings.AsSpan(k * width, width), _mean, _std, _alphasCumprod[level], noise.AsSpan(k * width, width), level, labels.AsSpan(k * c, c));
            }

            values.Set(UNetAddedInputs.ClassLabels, labels, new float[labels.Length]);
        }

        return values;
    }

    /// <summary>
    /// SDXL's time ids, conditional and unconditional: 6 values original size ‖ crop top-left ‖ target size (both halves
    /// equal, diffusers' default negative ids), or 5 values original size ‖ crop ‖ aesthetic score (the unconditional
    /// half with the negative score). Sizes default to the output image's, the crop to [0, 0].
    /// </summary>
    public static (float[] Conditional, float[] Unconditional) TimeIds(PipelineDefaults defaults, int count, int imageHeight, int imageWidth)
    {
        var original = defaults.OriginalSize ?? [imageHeight, imageWidth];
        var crop = defaults.CropsCoordsTopLeft ?? [0, 0];
        if (count == 6)
        {
            var target = defaults.TargetSize ?? [imageHeight, imageWidth];
            float[] ids = [original[0], original[1], crop[0], crop[1], target[0], target[1]];
            return (ids, ids);
        }

        return ([original[0], original[1], crop[0], crop[1], (float)defaults.AestheticScore],
                [original[0], original[1], crop[0], crop[1], (float)defaults.NegativeAestheticScore]);
    }

    /// <summary>Checks a pipeline's condition settings (sizes are two positive integers, the noise level within the noising schedule).</summary>
    public void CheckDefaults(PipelineDefaults defaults, string owner, List<string> problems)
    {
        foreach (var (key, value) in new[] { ("original_size", defaults.OriginalSize), ("crops_coords_top_left", defaults.CropsCoordsTopLeft), ("target_size", defaults.TargetSize) })
        {
            var least = key == "crops_coords_top_left" ? 0 : 1;
            if (value is not null && (value.Count != 2 || value.Any(v => v < least)))
            {
                problems.Add($"{owner}{key} is [{string.Join(", ", value)}]; it must be two integers ≥ {least} ([height, width] or [top, left]).");
            }
        }

        if (Inputs.ClassLabelsWidth is not null && NoiseLevels > 0 && (defaults.NoiseLevel < 0 || defaults.NoiseLevel >= NoiseLevels))
        {
            problems.Add($"{owner}noise_level is {defaults.NoiseLevel}; it must lie in [0, {NoiseLevels - 1}] (num_train_timesteps of {NoisingSchedulerPath}).");
        }
    }

    private static float[] Repeat(ReadOnlySpan<float> row, int times)
    {
        var all = new float[row.Length * times];
        for (var k = 0; k < times; k++)
        {
            row.CopyTo(all.AsSpan(k * row.Length));
        }

        return all;
    }

    private static float[] Vector(ModelBundle bundle, string relative, int width, List<string> problems)
    {
        try
        {
            using var stream = new MemoryStream(bundle.ReadFile(relative), writable: false);
            var values = NpyFile.ReadAsSingle(stream, bundle.ResolvePath(relative));
            if (values.Rank != 1 || values.FlattenedLength != width)
            {
                problems.Add($"{relative}: expected a 1-D array of {width} values (half of unet/model.onnx 'class_labels'), got shape [{string.Join(", ", values.Lengths.ToArray())}].");
                return [];
            }

            return [.. values];
        }
        catch (FmriToImage.Data.DataFileFormatException e)
        {
            problems.Add($"{relative}: {e.Message}");
            return [];
        }
    }
}
