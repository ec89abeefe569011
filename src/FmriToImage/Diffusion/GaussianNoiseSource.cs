using System.Numerics;

namespace FmriToImage.Diffusion;

/// <summary>
/// A seeded standard-normal generator whose output is bit-identical on every platform, runtime and vector width for a
/// given seed (unlike <see cref="Random"/>, whose algorithm may change, and unlike generators built on
/// <see cref="Math.Log(double)"/>, which calls the C library and may differ in the last bit between operating systems).
/// </summary>
/// <remarks>
/// <para>Algorithm (docs/diffusion.md; re-implemented independently in tests/fixtures/diffusion/ddim_reference.py):</para>
/// <list type="number">
/// <item>State: xoshiro256** (Blackman &amp; Vigna), its four 64-bit words taken from four successive SplitMix64 outputs
/// started at the seed.</item>
/// <item>Uniform: u = (next &gt;&gt; 11)·2⁻⁵³·2 − 1, in [−1, 1) and exact in double.</item>
/// <item>Normal pair: Marsaglia's polar method — draw (u, v) until 0 &lt; s = u² + v² &lt; 1, then
/// f = √(−2·ln s / s) and the pair is (u·f, v·f), returned in that order.</item>
/// <item>ln s is computed from IEEE-754 +, −, ×, ÷ only: s = m·2ᵉ with m in (√½, √2], r = (m − 1)/(m + 1),
/// ln s = e·ln 2 + 2·(r + r³/3 + … + r²³/23) evaluated by Horner's rule; √ is IEEE-exact. Accuracy ≈ 1 ulp.</item>
/// <item>Each double is rounded to float.</item>
/// </list>
/// <para>The stream does not depend on how it is split into <see cref="Fill"/> calls. Not thread-safe.</para>
/// </remarks>
public sealed class GaussianNoiseSource : INoiseSource
{
    private const double Ln2 = 0.6931471805599453;
    private const double Sqrt2 = 1.4142135623730951;
    private static readonly double[] LogSeriesCoefficients = BuildLogSeriesCoefficients();

    private ulong _s0, _s1, _s2, _s3;
    private double _spare;
    private bool _hasSpare;

    /// <summary>Starts the stream for <paramref name="seed"/>.</summary>
    /// <param name="seed">Any 64-bit value; equal seeds give equal streams.</param>
    public GaussianNoiseSource(ulong seed)
    {
        Seed = seed;
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>The seed the stream was started with.</summary>
    public ulong Seed { get; }

    /// <inheritdoc/>
    public void Fill(Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)NextNormal();
        }
    }

    /// <summary>The next number of the stream in full double precision (before rounding to float).</summary>
    /// <returns>A standard normal deviate.</returns>
    public double NextNormal()
    {
        if (_hasSpare)
        {
            _hasSpare = false;
            return _spare;
        }

        double u, v, s;
        do
        {
            u = NextUniform();
            v = NextUniform();
            s = (u * u) + (v * v);
        }
        while (!(s > 0.0 && s < 1.0));

        double f = Math.Sqrt(-2.0 * Log(s) / s);
        _spare = v * f;
        _hasSpare = true;
        return u * f;
    }

    /// <summary>Natural logarithm of a positive normal double from basic IEEE operations only (platform-independent).</summary>
    internal static double Log(double s)
    {
        long bits = BitConverter.DoubleToInt64Bits(s);
        int exponent = (int)((bits >> 52) & 0x7FF) - 1023;
        double m = BitConverter.Int64BitsToDouble((bits & 0x000F_FFFF_FFFF_FFFFL) | 0x3FF0_0000_0000_0000L); // [1, 2)
        if (m > Sqrt2)
        {
            m *= 0.5;
            exponent++;
        }

        double r = (m - 1.0) / (m + 1.0);
        double r2 = r * r;
        double acc = LogSeriesCoefficients[^1];
        for (int k = LogSeriesCoefficients.Length - 2; k >= 0; k--)
        {
            acc = (acc * r2) + LogSeriesCoefficients[k];
        }

        return (exponent * Ln2) + (r * acc);
    }

    private static double[] BuildLogSeriesCoefficients()
    {
        var c = new double[12];
        for (int k = 0; k < c.Length; k++)
        {
            c[k] = 2.0 / ((2 * k) + 1);
        }

        return c;
    }

    private double NextUniform() => ((NextUInt64() >> 11) * (1.0 / 9007199254740992.0) * 2.0) - 1.0;

    private ulong NextUInt64()
    {
        ulong result = BitOperations.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = BitOperations.RotateLeft(_s3, 45);
        return result;
    }

    private static ulong SplitMix64(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        ulong z = x;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
