namespace FmriToImage.Imaging;

/// <summary>
/// How 8-bit pixel values map to model input floats: <c>value = (byte × Scale − Mean[c]) / Std[c]</c> per RGB channel
/// (Hugging Face image processors' rescale-then-normalise). The inverse maps model output back to bytes.
/// </summary>
/// <remarks>
/// Pipelines take these numbers from a bundle's <c>preprocessor_config.json</c> (<see cref="FromConfig"/>); the named
/// presets are conveniences for tests and hand-built bundles, each citing where its numbers come from.
/// Immutable and thread-safe.
/// </remarks>
internal sealed class ImageNormalization
{
    private readonly float[] _mean;
    private readonly float[] _std;

    /// <summary>Creates a normalisation.</summary>
    /// <param name="scale">Factor applied to the byte value first (1/255 maps bytes to [0, 1]); must be positive.</param>
    /// <param name="mean">Three per-channel means (R, G, B) subtracted after scaling.</param>
    /// <param name="std">Three positive per-channel standard deviations divided by last.</param>
    /// <exception cref="ArgumentException">A list does not have three entries, or a value is not finite/positive.</exception>
    public ImageNormalization(float scale, IReadOnlyList<float> mean, IReadOnlyList<float> std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (!(scale > 0) || !float.IsFinite(scale))
        {
            throw new ArgumentException($"Scale must be a positive finite number, got {scale}.", nameof(scale));
        }

        if (mean.Count != 3 || std.Count != 3)
        {
            throw new ArgumentException($"Mean and std need 3 channels each, got {mean.Count} and {std.Count}.", nameof(mean));
        }

        for (int c = 0; c < 3; c++)
        {
            if (!float.IsFinite(mean[c]) || !(std[c] > 0) || !float.IsFinite(std[c]))
            {
                throw new ArgumentException(
                    $"Channel {c}: mean must be finite and std positive, got mean {mean[c]}, std {std[c]}.", nameof(std));
            }
        }

        Scale = scale;
        _mean = [mean[0], mean[1], mean[2]];
        _std = [std[0], std[1], std[2]];
    }

    /// <summary>
    /// Bytes to [−1, 1]: <c>2 × (v / 255) − 1</c>, the range of Stable Diffusion's VAE (diffusers
    /// <c>VaeImageProcessor.normalize</c>).
    /// </summary>
    public static ImageNormalization SignedUnit { get; } = new(1f / 255f, [0.5f, 0.5f, 0.5f], [0.5f, 0.5f, 0.5f]);

    /// <summary>Bytes to [0, 1]: <c>v / 255</c>.</summary>
    public static ImageNormalization Unit { get; } = new(1f / 255f, [0f, 0f, 0f], [1f, 1f, 1f]);

    /// <summary>
    /// OpenAI CLIP's statistics, v / 255 then mean (0.48145466, 0.4578275, 0.40821073) and std (0.26862954,
    /// 0.26130258, 0.27577711): the values in openai/CLIP <c>clip/clip.py</c> (<c>_transform</c>), in Hugging Face's
    /// <c>OPENAI_CLIP_MEAN</c>/<c>OPENAI_CLIP_STD</c>, and in the <c>preprocessor_config.json</c> of
    /// openai/clip-vit-large-patch14 and Salesforce/blip-image-captioning-*. A convenience: pipelines read the bundle.
    /// </summary>
    public static ImageNormalization OpenAiClip { get; } = new(
        1f / 255f, [0.48145466f, 0.4578275f, 0.40821073f], [0.26862954f, 0.26130258f, 0.27577711f]);

    /// <summary>Factor applied to byte values before the mean is subtracted.</summary>
    public float Scale { get; }

    /// <summary>Per-channel means (R, G, B).</summary>
    public IReadOnlyList<float> Mean => _mean;

    /// <summary>Per-channel standard deviations (R, G, B).</summary>
    public IReadOnlyList<float> Std => _std;

    /// <summary>The normalisation a preprocessor config describes (identity mean/std when it disables normalising).</summary>
    /// <param name="config">A parsed <c>preprocessor_config.json</c>.</param>
    /// <returns>The normalisation.</returns>
    public static ImageNormalization FromConfig(PreprocessorConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        float scale = config.DoRescale ? config.RescaleFactor : 1f;
        return config.DoNormalize
            ? new ImageNormalization(scale, config.ImageMean, config.ImageStd)
            : new ImageNormalization(scale, [0f, 0f, 0f], [1f, 1f, 1f]);
    }

    /// <summary>The model value of byte <paramref name="value"/> on <paramref name="channel"/>.</summary>
    /// <param name="value">A byte value.</param>
    /// <param name="channel">0 red, 1 green, 2 blue.</param>
    /// <returns><c>(value × Scale − Mean) / Std</c>.</returns>
    public float Forward(byte value, int channel) => ((value * Scale) - _mean[channel]) / _std[channel];

    /// <summary>
    /// The byte for model value <paramref name="value"/>: <c>(value × Std + Mean) / Scale</c>, rounded half to even
    /// and clamped to [0, 255] (as diffusers' <c>numpy_to_pil</c> rounds); NaN maps to 0.
    /// </summary>
    /// <param name="value">A model value.</param>
    /// <param name="channel">0 red, 1 green, 2 blue.</param>
    /// <returns>The byte.</returns>
    public byte Inverse(float value, int channel)
    {
        double v = Math.Round(((value * (double)_std[channel]) + _mean[channel]) / Scale);
        return double.IsNaN(v) ? (byte)0 : v <= 0 ? (byte)0 : v >= 255 ? (byte)255 : (byte)v;
    }
}
