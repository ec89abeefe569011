using BenchmarkDotNet.Attributes;
using FmriToImage.Diffusion;

namespace FmriToImage.Benchmarks.Diffusion;

/// <summary>
/// One Euler scheduler step on a Stable-Diffusion-sized latent (4×64×64 = 16384 floats), in place as the Sampler
/// runs it, against a plain scalar loop that evaluates diffusers' formulas element by element (x̂₀, derivative, dt)
/// into a separate buffer. Mirrors <see cref="DdimStepBenchmarks"/>. Run:
/// dotnet run -c Release --project tests/FmriToImage.Benchmarks -- --filter '*EulerStep*' --job short
/// </summary>
[MemoryDiagnoser]
public class EulerStepBenchmarks
{
    private const int Length = 4 * 64 * 64;
    private const int StepIndex = 10;
    private EulerDiscreteScheduler _scheduler = null!;
    private float[] _sample = null!;
    private float[] _modelOutput = null!;
    private float[] _work = null!;

    [GlobalSetup]
    public void Setup()
    {
        _scheduler = new EulerDiscreteScheduler(new EulerDiscreteSchedulerConfig
        {
            BetaStart = 0.00085,
            BetaEnd = 0.012,
            BetaSchedule = BetaSchedule.ScaledLinear,
            TimestepSpacing = TimestepSpacing.Leading,
            StepsOffset = 1,
        });
        _scheduler.SetTimesteps(50);
        _sample = new float[Length];
        _modelOutput = new float[Length];
        _work = new float[Length];
        var source = new GaussianNoiseSource(1);
        source.Fill(_sample);
        source.Fill(_modelOutput);
        _sample.CopyTo(_work, 0);
    }

    [Benchmark(Baseline = true)]
    public void ScalarLoop()
    {
        // diffusers' epsilon step written out per element, sigmas in double.
        double sigma = _scheduler.Sigmas[StepIndex], next = _scheduler.Sigmas[StepIndex + 1];
        float[] x = _sample, m = _modelOutput, d = _work;
        for (int i = 0; i < x.Length; i++)
        {
            double x0 = x[i] - (sigma * m[i]);
            double derivative = (x[i] - x0) / sigma;
            d[i] = (float)(x[i] + (derivative * (next - sigma)));
        }
    }

    [Benchmark]
    public void SchedulerStep() => _scheduler.Step(_modelOutput, StepIndex, _work, Length);
}
