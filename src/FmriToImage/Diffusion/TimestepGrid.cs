namespace FmriToImage.Diffusion;

/// <summary>diffusers' inference timestep grids (<c>timestep_spacing</c>), descending, as DDIM, PNDM and Euler build them.</summary>
internal static class TimestepGrid
{
    /// <summary>
    /// Integer timesteps: leading k·(T div n) + offset, trailing round(arange(T, 0, −T/n)) − 1, linspace
    /// round(linspace(0, T−1, n)); descending.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Leading spacing with the offset puts the first timestep past T − 1.</exception>
    public static int[] Integers(TimestepSpacing spacing, int t, int n, int stepsOffset)
    {
        var steps = new int[n];
        switch (spacing)
        {
            case TimestepSpacing.Leading:
            {
                int ratio = t / n;
                int largest = ((n - 1) * ratio) + stepsOffset;
                if (largest > t - 1)
                {
                    throw new ArgumentOutOfRangeException("numInferenceSteps", n,
                        $"with leading spacing, {n} steps and steps_offset {stepsOffset} the first timestep would be {largest}, past the last training timestep {t - 1}.");
                }

                for (int k = 0; k < n; k++)
                {
                    steps[n - 1 - k] = (k * ratio) + stepsOffset;
                }

                break;
            }

            case TimestepSpacing.Trailing:
            {
                // numpy's arange(T, 0, -T/n) fills element k >= 2 as start + k * delta with
                // delta = (start + step) - start, which is not always step itself; reproduce it exactly.
                double step = -((double)t / n);
                double first = t + step;
                double delta = first - t;
                for (int k = 0; k < n; k++)
                {
                    double value = k == 0 ? t : k == 1 ? first : t + (k * delta);
                    steps[k] = (int)Math.Round(value, MidpointRounding.ToEven) - 1;
                }

                break;
            }

            default:
            {
                double[] values = Linspace(t, n);
                for (int k = 0; k < n; k++)
                {
                    steps[k] = (int)Math.Round(values[k], MidpointRounding.ToEven);
                }

                break;
            }
        }

        return steps;
    }

    /// <summary>numpy's linspace(0, T−1, n), descending and unrounded: k·(T−1)/(n−1), the largest exactly T − 1 (n = 1 gives 0).</summary>
    public static double[] Linspace(int t, int n)
    {
        var values = new double[n];
        double step = n > 1 ? (t - 1.0) / (n - 1) : 0.0;
        for (int k = 0; k < n; k++)
        {
            values[n - 1 - k] = n == 1 ? 0.0 : k == n - 1 ? t - 1.0 : k * step;
        }

        return values;
    }
}
