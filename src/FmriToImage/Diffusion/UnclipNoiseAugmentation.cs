namespace FmriToImage.Diffusion;

/// <summary>
/// Stable unCLIP's class labels from an image embedding, as diffusers' <c>StableUnCLIPImg2ImgPipeline.noise_image_embeddings</c>
/// computes them: the embedding is normalised with the image normaliser's statistics, noised to
/// <c>noise_level</c> by the noising scheduler (√ᾱ·x + √(1 − ᾱ)·ε), un-normalised, and the sinusoidal timestep
/// embedding of the noise level (diffusers' <c>get_timestep_embedding</c>, <c>flip_sin_to_cos</c> true,
/// <c>downscale_freq_shift</c> 0, max period 10 000) of the same width is appended: [E] → [2E].
/// </summary>
/// <remarks>
/// Computed in float64, rounded to float once; golden values from tests/fixtures/diffusion/unclip_reference.py.
/// The classifier-free guidance half is zeros of the whole [2E] (diffusers' <c>zeros_like</c>).
/// </remarks>
internal static class UnclipNoiseAugmentation
{
    /// <summary>The sinusoidal embedding of timestep <paramref name="t"/> into <paramref name="destination"/> ([cos ‖ sin], a zero last for odd widths).</summary>
    public static void TimestepEmbedding(double t, Span<float> destination)
    {
        var half = destination.Length / 2;
        destination.Clear();
        for (var k = 0; k < half; k++)
        {
            // exponent = −ln(10000)·k / (half − shift), shift 0.
            var argument = t * Math.Exp(-Math.Log(10000.0) * k / half);
            destination[k] = (float)Math.Cos(argument);
            destination[half + k] = (float)Math.Sin(argument);
        }
    }

    /// <summary>
    /// Writes the class labels [noised embedding ‖ noise-level embedding] of one embedding into
    /// <paramref name="destination"/> (2 × the embedding's width).
    /// </summary>
    /// <param name="embedding">The image embedding, E values.</param>
    /// <param name="mean">The normaliser's mean, E values.</param>
    /// <param name="std">The normaliser's standard deviation, E values (non-zero).</param>
    /// <param name="alphaCumprod">ᾱ of the noising scheduler at <paramref name="noiseLevel"/>.</param>
    /// <param name="noise">ε, E standard normal values.</param>
    /// <param name="noiseLevel">The noise level (the noising scheduler's timestep).</param>
    /// <param name="destination">2E values.</param>
    /// <exception cref="ArgumentException">The lengths do not agree.</exception>
    public static void ClassLabels(ReadOnlySpan<float> embedding, ReadOnlySpan<float> mean, ReadOnlySpan<float> std, double alphaCumprod, ReadOnlySpan<float> noise, int noiseLevel, Span<float> destination)
    {
        var width = embedding.Length;
        if (mean.Length != width || std.Length != width || noise.Length != width || destination.Length != 2 * width)
        {
            throw new ArgumentException($"An embedding of {width} values needs {width} means, standard deviations and noise values and {2 * width} destination values; got {mean.Length}, {std.Length}, {noise.Length}, {destination.Length}.", nameof(destination));
        }

        var signal = Math.Sqrt(alphaCumprod);
        var spread = Math.Sqrt(1 - alphaCumprod);
        for (var k = 0; k < width; k++)
        {
            var scaled = (embedding[k] - (double)mean[k]) / std[k];
            var noised = (signal * scaled) + (spread * noise[k]);
            destination[k] = (float)((noised * std[k]) + mean[k]);
        }

        TimestepEmbedding(noiseLevel, destination[width..]);
    }
}
