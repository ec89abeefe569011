namespace FmriToImage.Diffusion;

/// <summary>The training noise schedule shared by the discrete-time schedulers: β per timestep and ᾱ, in float64.</summary>
internal static class NoiseSchedule
{
    /// <summary>β_0 … β_{T−1} of a diffusers <c>beta_schedule</c>, or <paramref name="trained"/> when given (its count must be T).</summary>
    public static double[] Betas(int t, double start, double end, BetaSchedule schedule, IReadOnlyList<double>? trained, string configName)
    {
        if (trained is not null)
        {
            if (trained.Count != t)
            {
                throw new ArgumentException(
                    $"TrainedBetas has {trained.Count} values but NumTrainTimesteps is {t}; they must match.", configName);
            }

            return [.. trained];
        }

        var betas = new double[t];
        for (int i = 0; i < t; i++)
        {
            double fraction = t > 1 ? (double)i / (t - 1) : 0.0;
            betas[i] = schedule switch
            {
                BetaSchedule.Linear => start + ((end - start) * fraction),
                BetaSchedule.ScaledLinear => Square(Math.Sqrt(start) + ((Math.Sqrt(end) - Math.Sqrt(start)) * fraction)),
                _ => Math.Min(1 - (CosineAlphaBar((i + 1.0) / t) / CosineAlphaBar((double)i / t)), 0.999),
            };
        }

        return betas;

        static double Square(double v) => v * v;
        static double CosineAlphaBar(double s) => Square(Math.Cos((s + 0.008) / 1.008 * Math.PI / 2));
    }

    /// <summary>ᾱ_i = ∏_{k≤i}(1 − β_k).</summary>
    public static double[] AlphasCumprod(double[] betas)
    {
        var alphas = new double[betas.Length];
        double product = 1.0;
        for (int i = 0; i < betas.Length; i++)
        {
            product *= 1.0 - betas[i];
            alphas[i] = product;
        }

        return alphas;
    }

    /// <summary>Throws <see cref="NotSupportedException"/> naming the option when an enum holds an undefined value.</summary>
    public static void RequireDefined<T>(T value, string option, string scheduler)
        where T : struct, Enum
    {
        if (!Enum.IsDefined(value))
        {
            throw new NotSupportedException($"{option} value {value} is not supported by the {scheduler} scheduler.");
        }
    }
}
