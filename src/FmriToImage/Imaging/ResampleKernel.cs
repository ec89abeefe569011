namespace FmriToImage.Imaging;

/// <summary>
/// Fixed-point convolution weights for one axis, computed the way PIL's <c>ImagingResample</c> computes them
/// (Pillow <c>src/libImaging/Resample.c</c>): the kernel is stretched by the scale when downscaling (antialiasing),
/// weights are normalised to sum 1, then rounded to 22 fractional bits.
/// </summary>
internal sealed class ResampleKernel
{
    /// <summary>Fractional bits of the fixed-point weights (PIL: 32 − 8 − 2).</summary>
    public const int PrecisionBits = 22;

    private ResampleKernel(int size, int[] first, int[] count, int[] weights)
    {
        Size = size;
        First = first;
        Count = count;
        Weights = weights;
    }

    /// <summary>Weights per output position (the stride of <see cref="Weights"/>).</summary>
    public int Size { get; }

    /// <summary>First source index used by each output position.</summary>
    public int[] First { get; }

    /// <summary>Number of source samples used by each output position.</summary>
    public int[] Count { get; }

    /// <summary>Fixed-point weights, <see cref="Size"/> per output position.</summary>
    public int[] Weights { get; }

    public static ResampleKernel Create(int inSize, int outSize, ResampleFilter filter)
    {
        double support = Support(filter);
        double scale = (double)inSize / outSize;
        double filterScale = Math.Max(scale, 1.0);
        support *= filterScale;
        int size = ((int)Math.Ceiling(support) * 2) + 1;
        var first = new int[outSize];
        var count = new int[outSize];
        var weights = new int[outSize * size];
        var work = new double[size];
        double inverse = 1.0 / filterScale;
        for (int xx = 0; xx < outSize; xx++)
        {
            double center = (xx + 0.5) * scale;
            int xmin = (int)(center - support + 0.5);
            if (xmin < 0)
            {
                xmin = 0;
            }

            int xmax = (int)(center + support + 0.5);
            if (xmax > inSize)
            {
                xmax = inSize;
            }

            xmax -= xmin;
            double total = 0;
            for (int x = 0; x < xmax; x++)
            {
                double w = Evaluate(filter, (x + xmin - center + 0.5) * inverse);
                work[x] = w;
                total += w;
            }

            for (int x = 0; x < xmax; x++)
            {
                double w = total != 0 ? work[x] / total : work[x];
                double scaled = w * (1 << PrecisionBits);
                weights[(xx * size) + x] = w < 0 ? (int)(-0.5 + scaled) : (int)(0.5 + scaled);
            }

            first[xx] = xmin;
            count[xx] = xmax;
        }

        return new ResampleKernel(size, first, count, weights);
    }

    private static double Support(ResampleFilter filter) => filter switch
    {
        ResampleFilter.Box => 0.5,
        ResampleFilter.Bilinear => 1.0,
        ResampleFilter.Hamming => 1.0,
        ResampleFilter.Bicubic => 2.0,
        ResampleFilter.Lanczos => 3.0,
        _ => throw new ArgumentOutOfRangeException(nameof(filter), filter, "No convolution kernel for this filter."),
    };

    private static double Evaluate(ResampleFilter filter, double x)
    {
        switch (filter)
        {
            case ResampleFilter.Box:
                return x > -0.5 && x <= 0.5 ? 1.0 : 0.0;
            case ResampleFilter.Bilinear:
                x = Math.Abs(x);
                return x < 1.0 ? 1.0 - x : 0.0;
            case ResampleFilter.Hamming:
                x = Math.Abs(x);
                if (x == 0.0)
                {
                    return 1.0;
                }

                if (x >= 1.0)
                {
                    return 0.0;
                }

                x *= Math.PI;
                return Math.Sin(x) / x * (0.54 + (0.46 * Math.Cos(x)));
            case ResampleFilter.Bicubic:
                const double a = -0.5;
                x = Math.Abs(x);
                if (x < 1.0)
                {
                    return ((((a + 2.0) * x) - (a + 3.0)) * x * x) + 1;
                }

                if (x < 2.0)
                {
                    return ((((x - 5) * x) + 8) * x - 4) * a;
                }

                return 0.0;
            default:
                return -3.0 <= x && x < 3.0 ? Sinc(x) * Sinc(x / 3) : 0.0;
        }
    }

    private static double Sinc(double x)
    {
        if (x == 0.0)
        {
            return 1.0;
        }

        x *= Math.PI;
        return Math.Sin(x) / x;
    }
}
