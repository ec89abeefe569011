namespace FmriToImage.Diffusion;

/// <summary>How <see cref="EdmEulerScheduler"/> spaces its sigmas; diffusers' <c>sigma_schedule</c>.</summary>
internal enum EdmSigmaSchedule
{
    /// <summary><c>"karras"</c> (default): (σ_max^(1/ρ) + k/(n−1)·(σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ.</summary>
    Karras,

    /// <summary><c>"exponential"</c>: log σ evenly spaced from log σ_max down to log σ_min.</summary>
    Exponential,
}
