using BenchmarkDotNet.Attributes;
using FmriToImage.Diffusion;

namespace FmriToImage.Benchmarks.Diffusion;

/// <summary>
/// One DDIM scheduler step on a Stable-Diffusion-sized latent (4×64×64 = 16384 floats), into a separate buffer (so
/// every invocation sees the same input), against a plain
/// scalar loop that evaluates diffusers' formulas element by element. Run:
/// dotnet run -c Release --project tests/FmriToImage.Benchmarks -- --filter '*DdimStep*' --job short
/// </summary>
[MemoryDiagnoser]
public class DdimStepBenchmarks
{
    private const int Length = 4 * 64 * 64;
    private const int Timestep = 501;
    private DdimScheduler _scheduler = null!;
    private float[] _sample = null!;
    private float[] _modelOutput = null!;
    private float[] _noise = null!;
    private float[] _work = null!;

    /// <summary>False: SD 1.5 settings (η = 0, no clipping). True: clip_sample and η = 0.5 with variance noise.</summary>
    [Params(false, true)]
    public bool ClipAndEta { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var config = new DdimSchedulerConfig
        {
            BetaStart = 0.00085,
            BetaEnd = 0.012,
            BetaSchedule = BetaSchedule.ScaledLinear,
            SetAlphaToOne = false,
            StepsOffset = 1,
            ClipSample = ClipAndEta,
        };
        _scheduler = new DdimScheduler(config);
        _scheduler.SetTimesteps(50);
        _sample = new float[Length];
        _modelOutput = new float[Length];
        _noise = new float[Length];
        _work = new float[Length];
        var source = new GaussianNoiseSource(1);
        source.Fill(_sample);
        source.Fill(_modelOutput);
        source.Fill(_noise);
    }

    [Benchmark(Baseline = true)]
    public void ScalarLoop()
    {
        // diffusers' step written out per element, coefficients in double (epsilon prediction).
        float eta = ClipAndEta ? 0.5f : 0f;
        ReadOnlySpan<double> abar = _scheduler.AlphasCumprod;
        int prev = Timestep - (1000 / 50);
        double at = abar[Timestep], ap = prev >= 0 ? abar[prev] : _scheduler.FinalAlphaCumprod;
        double variance = (1 - ap) / (1 - at) * (1 - (at / ap));
        double sigma = eta * Math.Sqrt(variance);
        double direction = Math.Sqrt(1 - ap - (sigma * sigma));
        double sa = Math.Sqrt(at), sb = Math.Sqrt(1 - at), sap = Math.Sqrt(ap);
        float[] x = _sample, m = _modelOutput, z = _noise, d = _work;
        for (int i = 0; i < x.Length; i++)
        {
            double x0 = (x[i] - (sb * m[i])) / sa;
            if (ClipAndEta)
            {
                x0 = Math.Clamp(x0, -1.0, 1.0);
            }

            double r = (sap * x0) + (direction * m[i]);
            if (eta > 0)
            {
                r += sigma * z[i];
            }

            d[i] = (float)r;
        }
    }

    [Benchmark]
    public void SchedulerStep() =>
        _scheduler.Step(_modelOutput, Timestep, _sample, _work, ClipAndEta ? 0.5f : 0f, false, ClipAndEta ? _noise : default);
}
