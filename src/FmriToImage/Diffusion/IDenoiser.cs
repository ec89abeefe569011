namespace FmriToImage.Diffusion;

/// <summary>
/// The network the <see cref="Sampler"/> calls once per step: the diffusion UNet (an ONNX-backed wrapper in
/// <c>FmriToImage.Models</c>) or any stand-in. It predicts ε, v or x₀, as the scheduler's
/// <see cref="IDiffusionScheduler.PredictionType"/> says.
/// </summary>
/// <remarks>
/// The sampler calls it from one thread at a time, with spans that stay valid only for the duration of the call.
/// The sampler allocates nothing per step; an implementation that wants the same should bind its buffers once.
/// </remarks>
public interface IDenoiser
{
    /// <summary>Predicts the model output for a batch of latents at one timestep.</summary>
    /// <param name="latents">
    /// The batch of latents, <paramref name="batchSize"/> samples of equal length laid out one after another
    /// (NCHW row-major for a UNet). With classifier-free guidance the batch is [unconditional…, conditional…].
    /// </param>
    /// <param name="batchSize">The number of samples in <paramref name="latents"/>.</param>
    /// <param name="timestep">
    /// The current timestep (the same for the whole batch): the scheduler's <see cref="IDiffusionScheduler.ModelTimestep"/>,
    /// an integer for DDIM and PNDM, fractional for Euler's linspace or Karras timesteps and EDM's c_noise. A network that
    /// takes integer timesteps must refuse a fractional one rather than round it.
    /// </param>
    /// <param name="conditioning">
    /// The conditioning, <paramref name="batchSize"/> blocks of equal length in the same batch order as the latents
    /// (e.g. text encoder hidden states [batch, 77, 768]); empty when the request has none.
    /// </param>
    /// <param name="destination">Receives the model output, same length and layout as <paramref name="latents"/>.</param>
    /// <param name="cancellationToken">Cancels a long run (an ONNX Runtime session hands it to its run options).</param>
    void Denoise(
        ReadOnlySpan<float> latents,
        int batchSize,
        double timestep,
        ReadOnlySpan<float> conditioning,
        Span<float> destination,
        CancellationToken cancellationToken);
}
