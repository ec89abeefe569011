namespace FmriToImage.Diffusion;

/// <summary>
/// How the per-timestep noise variances β are laid out over the training timesteps; diffusers' <c>beta_schedule</c>.
/// Ignored when <see cref="DdimSchedulerConfig.TrainedBetas"/> is given.
/// </summary>
internal enum BetaSchedule
{
    /// <summary><c>"linear"</c>: β_i evenly spaced from <c>BetaStart</c> to <c>BetaEnd</c> (the DDPM paper).</summary>
    Linear,

    /// <summary>
    /// <c>"scaled_linear"</c>: √β_i evenly spaced from √<c>BetaStart</c> to √<c>BetaEnd</c>, then squared
    /// (latent diffusion / Stable Diffusion, with 0.00085 → 0.012).
    /// </summary>
    ScaledLinear,

    /// <summary>
    /// <c>"squaredcos_cap_v2"</c>: the GLIDE cosine schedule, ᾱ(t) = cos²((t + 0.008)/1.008 · π/2),
    /// β_i = min(1 − ᾱ((i+1)/T)/ᾱ(i/T), 0.999).
    /// </summary>
    SquaredCosCapV2,
}
