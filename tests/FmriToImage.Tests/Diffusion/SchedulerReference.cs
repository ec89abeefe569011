using System.Text.Json;
using FmriToImage.Diffusion;

namespace FmriToImage.Tests.Diffusion;

/// <summary>
/// Golden values of the independent float64 references tests/fixtures/diffusion/euler_reference.py (Euler discrete,
/// diffusers' EDM Euler, sgm's Euler-EDM) and pndm_reference.py (PNDM/PLMS), which also assert diffusers' published
/// full-loop constants; copied beside the test assembly under fixtures/diffusion/.
/// </summary>
internal static class SchedulerReference
{
    /// <summary>
    /// Final samples agree with the float64 reference to this fraction of max(1, max |x|), plus
    /// <see cref="StartRounding"/>: the C# sample arithmetic is float32 over up to 51 steps.
    /// </summary>
    public const double SampleTolerance = 1e-4;

    /// <summary>
    /// Per step, this fraction of the initial noise σ is added to the bound: a float32 sample that starts at magnitude
    /// σ_init (20,291 for the cosine schedule's case) carries rounding of about 6·10⁻⁸·σ_init through cancellations.
    /// </summary>
    public const double StartRounding = 2e-8;

    private static readonly Lazy<JsonDocument> Euler = new(() => Load("euler_reference.json"));
    private static readonly Lazy<JsonDocument> Pndm = new(() => Load("pndm_reference.json"));

    public static JsonElement EulerRoot => Euler.Value.RootElement;

    public static JsonElement PndmRoot => Pndm.Value.RootElement;

    public static TheoryData<string> Names(JsonElement cases) => new(cases.EnumerateArray().Select(e => e.GetProperty("name").GetString()!));

    public static JsonElement Case(JsonElement cases, string name) => cases.EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);

    /// <summary>The case's scheduler, built from its config through the factory.</summary>
    public static IDiffusionScheduler Scheduler(JsonElement run) => DiffusionSchedulers.FromJson(run.GetProperty("config").GetRawText());

    /// <summary>
    /// The reference's loop on diffusers' dummy fixtures: from dummy_sample_deter × init σ (or, for img2img, add_noise
    /// of dummy_sample_deter and dummy_noise_deter at the start index), the dummy model x·t/(t+1) on the scaled
    /// sample, one step each. With <paramref name="quirk"/>, the sample itself is overwritten by the scaled one first,
    /// as diffusers' Euler test does.
    /// </summary>
    public static float[] Run(IDiffusionScheduler scheduler, int steps, double? strength, bool quirk, out int start)
    {
        scheduler.SetTimesteps(steps);
        float[] x = DdimReference.DummySampleDeter();
        start = 0;
        if (strength is { } s)
        {
            start = scheduler.Img2ImgStartIndex(s);
            scheduler.AddNoise(x, DdimReference.DummyNoiseDeter(), start, x);
        }
        else
        {
            for (int i = 0; i < x.Length; i++)
            {
                x[i] *= (float)scheduler.InitNoiseSigma;
            }
        }

        var scaled = new float[x.Length];
        var output = new float[x.Length];
        for (int i = start; i < scheduler.StepCount; i++)
        {
            if (quirk)
            {
                scheduler.ScaleModelInput(x, i);
                x.CopyTo(scaled, 0);
            }
            else
            {
                x.CopyTo(scaled, 0);
                scheduler.ScaleModelInput(scaled, i);
            }

            DummyModel(scaled, (float)scheduler.ModelTimestep(i), output);
            scheduler.Step(output, i, x, x.Length);
        }

        return x;
    }

    /// <summary>diffusers' dummy_model: x·t/(t + 1) with t in float32.</summary>
    public static void DummyModel(ReadOnlySpan<float> x, float t, Span<float> destination)
    {
        for (int i = 0; i < x.Length; i++)
        {
            destination[i] = x[i] * t / (t + 1);
        }
    }

    /// <summary>Checks the final sample against the case, and Σ|x|, mean |x| against the reference's.</summary>
    public static void AssertSample(JsonElement run, float[] actual)
    {
        double[] expected = DdimReference.Doubles(run.GetProperty("sample"));
        Assert.Equal(expected.Length, actual.Length);
        double bound = (SampleTolerance * Math.Max(1, expected.Max(Math.Abs)))
            + (StartRounding * run.GetProperty("init_noise_sigma").GetDouble() * run.GetProperty("steps").GetInt32());
        double worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= bound, $"{run.GetProperty("name").GetString()}: max |difference| {worst:G6} exceeds {bound:G6}.");
        double sum = actual.Sum(v => Math.Abs((double)v));
        Assert.Equal(run.GetProperty("abs_sum").GetDouble(), sum, 1e-4 * Math.Max(1, sum));
    }

    private static JsonDocument Load(string file) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "fixtures", "diffusion", file)));
}
