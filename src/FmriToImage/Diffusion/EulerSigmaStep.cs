namespace FmriToImage.Diffusion;

/// <summary>
/// The Euler step of Karras et al. (arXiv:2206.00364, Algorithm 1 with churn 0) on a preconditioned network: with
/// D = c_skip·x + c_out·F the denoised estimate, x_next = x + (σ_next − σ)·(x − D)/σ, i.e.
/// x_next = (1 + r(1 − c_skip))·x − r·c_out·F with r = (σ_next − σ)/σ; one pass, in place.
/// </summary>
internal static class EulerSigmaStep
{
    public static void Apply(double sigma, double sigmaNext, double cSkip, double cOut, ReadOnlySpan<float> modelOutput, Span<float> samples)
    {
        double r = (sigmaNext - sigma) / sigma;
        DdimStepKernel.ScaledSum((float)(1 + (r * (1 - cSkip))), samples, (float)(-r * cOut), modelOutput, samples);
    }

    /// <summary>destination = original + σ·noise (the sigma schedulers' <c>add_noise</c>).</summary>
    public static void AddNoise(double sigma, ReadOnlySpan<float> original, ReadOnlySpan<float> noise, Span<float> destination)
    {
        SchedulerChecks.RequirePair(original, noise, destination);
        DdimStepKernel.ScaledSum(1f, original, (float)sigma, noise, destination);
    }

    /// <summary>The Karras et al. schedule: (σ_max^(1/ρ) + k/(n−1)·(σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ for k = 0 … n−1 (n = 1 gives σ_max).</summary>
    public static double[] Karras(double sigmaMin, double sigmaMax, double rho, int n)
    {
        double lo = Math.Pow(sigmaMin, 1 / rho), hi = Math.Pow(sigmaMax, 1 / rho);
        var sigmas = new double[n];
        double step = n > 1 ? 1.0 / (n - 1) : 0.0;
        for (int k = 0; k < n; k++)
        {
            double ramp = k == n - 1 && n > 1 ? 1.0 : k * step;
            sigmas[k] = Math.Pow(hi + (ramp * (lo - hi)), rho);
        }

        return sigmas;
    }

    /// <summary>Rounds to float32 and back, where the reference casts to float32.</summary>
    public static double Single(double value) => (float)value;
}
