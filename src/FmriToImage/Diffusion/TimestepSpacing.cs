namespace FmriToImage.Diffusion;

/// <summary>
/// How <see cref="DdimScheduler.SetTimesteps"/> picks the inference timesteps among the training timesteps;
/// diffusers' <c>timestep_spacing</c> (see table 2 of arXiv:2305.08891).
/// </summary>
internal enum TimestepSpacing
{
    /// <summary>
    /// <c>"leading"</c>: t_k = k·(T div n) for k = 0..n−1, descending, plus <c>StepsOffset</c>
    /// (SD 1.5 with offset 1 and 50 steps: 981, 961, …, 1).
    /// </summary>
    Leading,

    /// <summary>
    /// <c>"trailing"</c>: t_k = round(T − k·T/n) − 1 for k = 0..n−1 (starts at T−1); <c>StepsOffset</c> is ignored.
    /// </summary>
    Trailing,

    /// <summary>
    /// <c>"linspace"</c>: round(linspace(0, T−1, n)), descending (starts at T−1, ends at 0); <c>StepsOffset</c> is ignored.
    /// </summary>
    Linspace,
}
