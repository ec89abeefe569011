using FmriToImage.Diffusion;
using FsCheck;
using FsCheck.Xunit;

namespace FmriToImage.Tests.Diffusion;

/// <summary>Algebraic identities and aliasing/vectorisation invariants of the scheduler, over random inputs.</summary>
public sealed class DdimSchedulerPropertyTests
{
    private static readonly DdimSchedulerConfig Sd = DdimSchedulerConfig.FromJson(DdimSchedulerConfigTests.Sd15SchedulerConfig);

    private static float[] Normal(ulong seed, int count, float scale = 1f)
    {
        var v = new float[count];
        new GaussianNoiseSource(seed).Fill(v);
        for (int i = 0; i < v.Length; i++)
        {
            v[i] *= scale;
        }

        return v;
    }

    /// <summary>With x_t = add_noise(x₀, ε, t) and v = get_velocity(x₀, ε, t): √ᾱ·x_t − √(1−ᾱ)·v = x₀ and √(1−ᾱ)·x_t + √ᾱ·v = ε.</summary>
    [Property(MaxTest = 200)]
    public bool AddNoise_and_velocity_invert_each_other(ulong seed, PositiveInt lengthSeed, NonNegativeInt timestepSeed)
    {
        int length = 1 + (lengthSeed.Get % 100);
        int t = timestepSeed.Get % 1000;
        var s = new DdimScheduler(Sd);
        float[] x0 = Normal(seed, length), eps = Normal(seed + 1, length);
        var xt = new float[length];
        var v = new float[length];
        s.AddNoise(x0, eps, t, xt);
        s.GetVelocity(x0, eps, t, v);
        double sa = Math.Sqrt(s.AlphasCumprod[t]), sb = Math.Sqrt(1 - s.AlphasCumprod[t]);
        for (int i = 0; i < length; i++)
        {
            if (Math.Abs((sa * xt[i]) - (sb * v[i]) - x0[i]) > 1e-5 * (1 + Math.Abs(x0[i]) + Math.Abs(eps[i])) ||
                Math.Abs((sb * xt[i]) + (sa * v[i]) - eps[i]) > 1e-5 * (1 + Math.Abs(x0[i]) + Math.Abs(eps[i])))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Step into a separate buffer, in place over the sample, and in place over the model output give bit-identical
    /// results, for every prediction type, clipping/thresholding mode, η and use_clipped_model_output.
    /// </summary>
    [Property(MaxTest = 300)]
    public bool In_place_step_equals_out_of_place(ulong seed, PositiveInt lengthSeed, byte options, NonNegativeInt stepIndex)
    {
        int length = 1 + (lengthSeed.Get % 200);
        DdimScheduler s = Configured(options);
        s.SetTimesteps(25);
        int t = s.Timesteps[stepIndex.Get % 25];
        float eta = (options & 32) != 0 ? 0.7f : 0f;
        bool useClipped = (options & 64) != 0;
        float[] x = Normal(seed, length, 3f), m = Normal(seed + 7, length, 3f), z = Normal(seed + 9, length);

        var separate = new float[length];
        s.Step(m, t, x, separate, eta, useClipped, z);
        float[] overSample = (float[])x.Clone();
        s.Step(m, t, overSample, overSample, eta, useClipped, z);
        float[] overModel = (float[])m.Clone();
        s.Step(overModel, t, x, overModel, eta, useClipped, z);
        return separate.AsSpan().SequenceEqual(overSample) && separate.AsSpan().SequenceEqual(overModel);
    }

    /// <summary>
    /// Without thresholding the step is element-wise: stepping a span equals stepping any split of it, bit for bit,
    /// so vector lanes and the scalar tail compute the same thing.
    /// </summary>
    [Property(MaxTest = 200)]
    public bool Step_is_elementwise_and_independent_of_vector_width(ulong seed, PositiveInt lengthSeed, PositiveInt splitSeed, byte options)
    {
        int length = 2 + (lengthSeed.Get % 150);
        int split = 1 + (splitSeed.Get % (length - 1));
        DdimScheduler s = Configured((byte)(options & ~16)); // no thresholding
        s.SetTimesteps(10);
        int t = s.Timesteps[options % 10];
        float eta = (options & 32) != 0 ? 0.4f : 0f;
        float[] x = Normal(seed, length, 2f), m = Normal(seed + 3, length, 2f), z = Normal(seed + 5, length);
        var whole = new float[length];
        var parts = new float[length];
        s.Step(m, t, x, whole, eta, false, z);
        s.Step(m.AsSpan(0, split), t, x.AsSpan(0, split), parts.AsSpan(0, split), eta, false, z.AsSpan(0, split));
        s.Step(m.AsSpan(split), t, x.AsSpan(split), parts.AsSpan(split), eta, false, z.AsSpan(split));
        return whole.AsSpan().SequenceEqual(parts);
    }

    /// <summary>For every step count and spacing: n timesteps, inside [0, T), non-increasing.</summary>
    [Property(MaxTest = 300)]
    public bool Timesteps_are_n_descending_in_range(PositiveInt stepsSeed, byte spacing, byte offset, PositiveInt trainSeed)
    {
        int trainSteps = 1 + (trainSeed.Get % 1200);
        int n = 1 + (stepsSeed.Get % trainSteps);
        var s = new DdimScheduler(new DdimSchedulerConfig
        {
            NumTrainTimesteps = trainSteps,
            TimestepSpacing = (TimestepSpacing)(spacing % 3),
            StepsOffset = offset % 2,
        });
        try
        {
            s.SetTimesteps(n);
        }
        catch (ArgumentOutOfRangeException) when (s.Config.TimestepSpacing == TimestepSpacing.Leading && s.Config.StepsOffset > 0)
        {
            return (n - 1) * (trainSteps / n) + 1 > trainSteps - 1; // refused only when the offset overflows
        }

        IReadOnlyList<int> ts = s.Timesteps;
        return ts.Count == n && ts.All(t => t >= 0 && t < trainSteps) && ts.Zip(ts.Skip(1)).All(p => p.First >= p.Second);
    }

    /// <summary>With η = 0 and exact ε, every step lands on the forward process at the previous timestep.</summary>
    [Property(MaxTest = 200)]
    public bool Exact_epsilon_step_lands_on_the_forward_process(ulong seed, NonNegativeInt stepIndex)
    {
        var s = new DdimScheduler(Sd);
        s.SetTimesteps(50);
        int t = s.Timesteps[stepIndex.Get % 49]; // not the last step
        int prev = s.PreviousTimestep(t);
        float[] x0 = Normal(seed, 64, 0.5f), eps = Normal(seed + 1, 64);
        var xt = new float[64];
        var expected = new float[64];
        s.AddNoise(x0, eps, t, xt);
        s.AddNoise(x0, eps, prev, expected);
        s.Step(eps, t, xt, xt);
        for (int i = 0; i < 64; i++)
        {
            if (Math.Abs(xt[i] - expected[i]) > 2e-5 * (1 + Math.Abs(expected[i])))
            {
                return false;
            }
        }

        return true;
    }

    private static DdimScheduler Configured(byte options) => new(Sd with
    {
        PredictionType = (PredictionType)(options % 3),
        ClipSample = (options & 8) != 0,
        ClipSampleRange = 1.5,
        Thresholding = (options & 16) != 0,
        SampleMaxValue = 2.0,
    });
}
