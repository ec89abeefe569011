namespace FmriToImage.Diffusion;

/// <summary>
/// A stream of standard normal numbers (mean 0, variance 1) for the initial latents, img2img noise and η-variance
/// noise of the diffusion loop. Each <see cref="Fill"/> continues the stream where the previous call stopped.
/// </summary>
/// <remarks>Implementations are stateful and not thread-safe: give each concurrent loop its own source.</remarks>
public interface INoiseSource
{
    /// <summary>Writes the next <c>destination.Length</c> numbers of the stream into <paramref name="destination"/>.</summary>
    /// <param name="destination">The span to fill.</param>
    void Fill(Span<float> destination);
}
