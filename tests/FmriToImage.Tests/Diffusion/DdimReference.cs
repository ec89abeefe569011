using System.Text.Json;
using FmriToImage.Diffusion;

namespace FmriToImage.Tests.Diffusion;

/// <summary>
/// Golden values written by the independent float64 numpy reference tests/fixtures/diffusion/ddim_reference.py
/// (not diffusers, not this library) into fixtures/diffusion/ddim_reference.json.
/// </summary>
internal static class DdimReference
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "diffusion", "ddim_reference.json"))));

    public static JsonElement Root => Document.Value.RootElement;

    public static double[] Doubles(JsonElement array) => array.EnumerateArray().Select(e => e.GetDouble()).ToArray();

    public static float[] Floats(JsonElement array) => array.EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();

    public static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    /// <summary>A scheduler built from a diffusers-style config object of the reference file (goes through FromJson).</summary>
    public static DdimScheduler Scheduler(JsonElement config) => new(DdimSchedulerConfig.FromJson(config.GetRawText()));

    /// <summary>diffusers' dummy_sample_deter, (4,3,8,8): value[b,c,h,w] = (((c·8+h)·8+w)·4+b)/768 in float32.</summary>
    public static float[] DummySampleDeter() => DummyFixture(idx => idx);

    /// <summary>diffusers' dummy_noise_deter: (767 − idx)/768.</summary>
    public static float[] DummyNoiseDeter() => DummyFixture(idx => 767 - idx);

    private static float[] DummyFixture(Func<int, int> numerator)
    {
        var values = new float[4 * 3 * 8 * 8];
        int i = 0;
        for (int b = 0; b < 4; b++)
        {
            for (int c = 0; c < 3; c++)
            {
                for (int h = 0; h < 8; h++)
                {
                    for (int w = 0; w < 8; w++)
                    {
                        int idx = ((((c * 8) + h) * 8) + w) * 4 + b;
                        values[i++] = numerator(idx) / 768f;
                    }
                }
            }
        }

        return values;
    }

    /// <summary>Asserts max |actual − expected| ≤ tolerance · max(1, max |expected|).</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = 1.0, worst = 0.0;
        int worstAt = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }

        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs(actual[i] - expected[i]);
            if (!(d <= worst))
            {
                worst = d;
                worstAt = i;
            }
        }

        Assert.True(worst <= tolerance * scale,
            $"{what}: max |difference| {worst:G6} at [{worstAt}] (expected {expected[Math.Max(worstAt, 0)]:G9}, got {actual[Math.Max(worstAt, 0)]:G9}) exceeds {tolerance:G3} × {scale:G6}.");
    }
}
