namespace FmriToImage.Diffusion;

/// <summary>The noise level a sigma-based scheduler ends on; diffusers' <c>final_sigmas_type</c>.</summary>
internal enum FinalSigmaType
{
    /// <summary><c>"zero"</c> (default): the last step lands on σ = 0, the clean sample.</summary>
    Zero,

    /// <summary><c>"sigma_min"</c>: the last step lands on the smallest training σ (Euler) or the last schedule σ (EDM).</summary>
    SigmaMin,
}
