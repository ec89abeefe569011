using System.Numerics.Tensors;

namespace FmriToImage.Diffusion;

/// <summary>
/// Pseudo numerical methods for diffusion models (Liu et al., arXiv:2202.09778) with the behaviour of diffusers'
/// <c>PNDMScheduler</c>: the transfer x_prev = √(ᾱ_prev/ᾱ_t)·x − (ᾱ_prev − ᾱ_t)·ε/(ᾱ_t·√(1 − ᾱ_prev) + √(ᾱ_t(1 − ᾱ_t)ᾱ_prev))
/// driven by a fourth-order Runge-Kutta start (unless <see cref="PndmSchedulerConfig.SkipPrkSteps"/>) and then the
/// linear multistep (PLMS) combination (55ε₁ − 59ε₂ + 37ε₃ − 9ε₄)/24 of the last four outputs.
/// </summary>
/// <remarks>
/// <para>
/// With <see cref="PndmSchedulerConfig.SkipPrkSteps"/> (Stable Diffusion, and latent diffusion's PLMS sampler that
/// Vis-Dec runs for 250 steps) a run of n steps makes n + 1 network calls: the second timestep is visited twice, the
/// second call averaging with the first output and restarting from the first sample (diffusers' first-step special
/// case); the next steps use 2-, 3- and then 4-term combinations. Without it, the last four grid timesteps and
/// their midpoints are run as 12 Runge-Kutta stages first (n ≥ 4 required).
/// </para>
/// <para>
/// State: the output history and the counter are per run (reset by <see cref="SetTimesteps"/>); the history buffers
/// are allocated on the first step of a run with a new sample length, after which steps allocate nothing. The
/// history is kept over the whole batch. One instance per concurrent loop.
/// </para>
/// </remarks>
internal sealed class PndmScheduler : IDiffusionScheduler
{
    private const int Order = 4;
    private readonly double[] _alphasCumprod;
    private readonly float[][] _history = new float[Order][];
    private int[] _timesteps = [];
    private int _prkCount;
    private int _counter;
    private int _historyCount;
    private int _newest;
    private float[] _currentSample = [];
    private float[] _combined = [];

    /// <summary>Builds the β and ᾱ schedules of <paramref name="config"/>.</summary>
    /// <param name="config">The configuration.</param>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">T is outside [1, 10000] or the steps offset is negative.</exception>
    /// <exception cref="ArgumentException"><see cref="PndmSchedulerConfig.TrainedBetas"/> has a count other than T.</exception>
    /// <exception cref="NotSupportedException">An enum option holds an undefined value or the prediction type is sample.</exception>
    public PndmScheduler(PndmSchedulerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        int t = config.NumTrainTimesteps;
        SchedulerChecks.RequireTrainTimesteps(t, 1);
        SchedulerChecks.RequireStepsOffset(config.StepsOffset);

        NoiseSchedule.RequireDefined(config.BetaSchedule, "beta_schedule", ClassName);
        NoiseSchedule.RequireDefined(config.TimestepSpacing, "timestep_spacing", ClassName);
        SchedulerChecks.RequireEpsilonOrV(config.PredictionType, ClassName);

        Config = config;
        _alphasCumprod = NoiseSchedule.AlphasCumprod(
            NoiseSchedule.Betas(t, config.BetaStart, config.BetaEnd, config.BetaSchedule, config.TrainedBetas, nameof(config)));
        FinalAlphaCumprod = config.SetAlphaToOne ? 1.0 : _alphasCumprod[0];
    }

    /// <summary>The configuration.</summary>
    public PndmSchedulerConfig Config { get; }

    /// <summary>The ᾱ used as "previous" on the last step: 1 when <see cref="PndmSchedulerConfig.SetAlphaToOne"/>, else ᾱ₀.</summary>
    public double FinalAlphaCumprod { get; }

    /// <inheritdoc/>
    public string ClassName => "PNDMScheduler";

    /// <inheritdoc/>
    public PredictionType PredictionType => Config.PredictionType;

    /// <inheritdoc/>
    public int MaxInferenceSteps => Config.NumTrainTimesteps;

    /// <inheritdoc/>
    public int? NumInferenceSteps { get; private set; }

    /// <inheritdoc/>
    public int StepCount => _timesteps.Length;

    /// <summary>The run's timesteps in call order: the Runge-Kutta ones (if any), then the PLMS ones.</summary>
    public ReadOnlySpan<int> Timesteps => _timesteps;

    /// <inheritdoc/>
    public double InitNoiseSigma => 1.0;

    /// <inheritdoc/>
    public bool SupportsEta => false;

    /// <inheritdoc/>
    /// <exception cref="ArgumentOutOfRangeException">Also when n &lt; 4 without <see cref="PndmSchedulerConfig.SkipPrkSteps"/>.</exception>
    public void SetTimesteps(int numInferenceSteps)
    {
        int t = Config.NumTrainTimesteps;
        SchedulerChecks.RequireStepCount(numInferenceSteps, t);

        int n = numInferenceSteps;
        if (!Config.SkipPrkSteps && n < Order)
        {
            throw new ArgumentOutOfRangeException(nameof(numInferenceSteps), numInferenceSteps,
                $"PNDM's Runge-Kutta start needs numInferenceSteps >= {Order} (or skip_prk_steps true); it is {n}.");
        }

        int[] grid = TimestepGrid.Integers(Config.TimestepSpacing, t, n, Config.StepsOffset); // descending
        List<int> steps = [];
        if (Config.SkipPrkSteps)
        {
            // Ascending g_0 … g_{n−1} becomes g_{n−1}, g_{n−2}, g_{n−2}, g_{n−3}, …, g_0.
            steps.Add(grid[0]);
            if (n > 1)
            {
                steps.Add(grid[1]);
                steps.AddRange(grid[1..]);
            }

            _prkCount = 0;
        }
        else
        {
            // The four largest grid timesteps, each followed by its midpoint, as 12 stages: t, t−h, t−h, t−2h (h = T div n div 2) per RK step.
            int half = t / n / 2;
            List<int> pairs = [];
            for (int k = Order - 1; k >= 0; k--)
            {
                pairs.Add(grid[k]);
                pairs.Add(grid[k] + half);
            }

            pairs.RemoveAt(pairs.Count - 1);
            List<int> doubled = [];
            foreach (int v in pairs)
            {
                doubled.Add(v);
                doubled.Add(v);
            }

            doubled.RemoveAt(0);
            doubled.RemoveAt(doubled.Count - 1);
            doubled.Reverse();
            steps.AddRange(doubled);
            _prkCount = doubled.Count;
            steps.AddRange(grid[3..]);
        }

        _timesteps = [.. steps];
        NumInferenceSteps = n;
        _counter = 0;
        _historyCount = 0;
    }

    /// <inheritdoc/>
    public double ModelTimestep(int stepIndex)
    {
        SchedulerChecks.RequireStepIndex(stepIndex, StepCount, ClassName);
        return _timesteps[stepIndex];
    }

    /// <inheritdoc/>
    /// <remarks>
    /// diffusers' img2img rule with PNDM's order 1: t_start = <see cref="Sampler.Img2ImgStartIndex"/>(n, strength),
    /// an index into the (n + 1 with skip_prk_steps) call timesteps; the run's first step is still the multistep's first step.
    /// </remarks>
    public int Img2ImgStartIndex(double strength) => SchedulerChecks.DiffusersImg2ImgStart(NumInferenceSteps, strength, ClassName);

    /// <inheritdoc/>
    /// <remarks>PNDM's model input is the sample itself.</remarks>
    public void ScaleModelInput(Span<float> samples, int stepIndex) => SchedulerChecks.RequireStepIndex(stepIndex, StepCount, ClassName);

    /// <inheritdoc/>
    /// <remarks>
    /// The step is chosen by the run's call counter, not by <paramref name="stepIndex"/> (which gives the timestep),
    /// as in diffusers: steps must be called once each, in order, after <see cref="SetTimesteps"/>.
    /// </remarks>
    public void Step(ReadOnlySpan<float> modelOutput, int stepIndex, Span<float> samples, int sampleLength, float eta = 0f, ReadOnlySpan<float> varianceNoise = default)
    {
        SchedulerChecks.RequireStepIndex(stepIndex, StepCount, ClassName);
        SchedulerChecks.RequireStep(modelOutput, samples, sampleLength, eta, ClassName);
        if (_counter > 0 && _currentSample.Length != samples.Length)
        {
            throw new ArgumentException(
                $"samples has {samples.Length} elements but this run started with {_currentSample.Length}; the history is per run.", nameof(samples));
        }

        if (_currentSample.Length != samples.Length)
        {
            _currentSample = new float[samples.Length];
            _combined = new float[samples.Length];
            for (int i = 0; i < Order; i++)
            {
                _history[i] = new float[samples.Length];
            }
        }

        int t = _timesteps[stepIndex];
        if (_counter < _prkCount)
        {
            StepRungeKutta(modelOutput, t, samples);
        }
        else
        {
            StepLinearMultistep(modelOutput, t, samples);
        }

        _counter++;
    }

    /// <inheritdoc/>
    /// <remarks>destination = √ᾱ_t·original + √(1 − ᾱ_t)·noise at the step's timestep.</remarks>
    public void AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int stepIndex, Span<float> destination)
    {
        SchedulerChecks.RequireStepIndex(stepIndex, StepCount, ClassName);
        SchedulerChecks.RequirePair(original, noise, destination);
        double a = _alphasCumprod[_timesteps[stepIndex]];
        DdimStepKernel.ScaledSum((float)Math.Sqrt(a), original, (float)Math.Sqrt(1 - a), noise, destination);
    }

    private void StepRungeKutta(ReadOnlySpan<float> modelOutput, int t, Span<float> samples)
    {
        int n = NumInferenceSteps!.Value;
        int previous = t - (_counter % 2 == 1 ? 0 : Config.NumTrainTimesteps / n / 2);
        int from = _timesteps[_counter / 4 * 4];
        ReadOnlySpan<float> used = modelOutput;
        switch (_counter % 4)
        {
            case 0:
                TensorPrimitives.Multiply(modelOutput, 1f / 6, _combined);
                Push(modelOutput);
                samples.CopyTo(_currentSample);
                break;
            case 1:
            case 2:
                TensorPrimitives.MultiplyAdd(modelOutput, 1f / 3, _combined, _combined);
                break;
            default:
                TensorPrimitives.MultiplyAdd(modelOutput, 1f / 6, _combined, _combined);
                used = _combined;
                break;
        }

        Transfer(_currentSample, from, previous, used, samples);
    }

    private void StepLinearMultistep(ReadOnlySpan<float> modelOutput, int t, Span<float> samples)
    {
        int ratio = Config.NumTrainTimesteps / NumInferenceSteps!.Value;
        int previous = t - ratio;
        if (_counter != 1)
        {
            Push(modelOutput);
        }
        else
        {
            previous = t;
            t += ratio;
        }

        ReadOnlySpan<float> source = samples;
        ReadOnlySpan<float> used;
        if (_historyCount == 1 && _counter == 0)
        {
            samples.CopyTo(_currentSample);
            used = modelOutput;
        }
        else if (_historyCount == 1 && _counter == 1)
        {
            Combine(_combined, 0.5f, modelOutput, 0.5f, History(1));
            source = _currentSample;
            used = _combined;
        }
        else if (_historyCount == 2)
        {
            Combine(_combined, 1.5f, History(1), -0.5f, History(2));
            used = _combined;
        }
        else if (_historyCount == 3)
        {
            Combine(_combined, 23f / 12, History(1), -16f / 12, History(2));
            TensorPrimitives.MultiplyAdd(History(3), 5f / 12, _combined, _combined);
            used = _combined;
        }
        else
        {
            Combine(_combined, 55f / 24, History(1), -59f / 24, History(2));
            TensorPrimitives.MultiplyAdd(History(3), 37f / 24, _combined, _combined);
            TensorPrimitives.MultiplyAdd(History(4), -9f / 24, _combined, _combined);
            used = _combined;
        }

        Transfer(source, t, previous, used, samples);
    }

    /// <summary>diffusers' <c>_get_prev_sample</c> (eq. 11), v-prediction converted to ε first; destination may be <paramref name="sample"/>.</summary>
    private void Transfer(ReadOnlySpan<float> sample, int t, int previous, ReadOnlySpan<float> output, Span<float> destination)
    {
        double at = _alphasCumprod[t];
        double ap = previous >= 0 ? _alphasCumprod[previous] : FinalAlphaCumprod;
        double bt = 1 - at, bp = 1 - ap;
        double k = (ap - at) / ((at * Math.Sqrt(bp)) + Math.Sqrt(at * bt * ap));
        double xCoefficient = Math.Sqrt(ap / at);
        double outputCoefficient = -k;
        if (Config.PredictionType == PredictionType.VPrediction)
        {
            // ε = √ᾱ·v + √(1 − ᾱ)·x
            xCoefficient -= k * Math.Sqrt(bt);
            outputCoefficient = -k * Math.Sqrt(at);
        }

        DdimStepKernel.ScaledSum((float)xCoefficient, sample, (float)outputCoefficient, output, destination);
    }

    private void Push(ReadOnlySpan<float> modelOutput)
    {
        _newest = (_newest + 1) % Order;
        modelOutput.CopyTo(_history[_newest]);
        _historyCount = Math.Min(_historyCount + 1, Order);
    }

    /// <summary>The k-th newest output (1 = newest).</summary>
    private float[] History(int k) => _history[(_newest - (k - 1) + Order) % Order];

    private static void Combine(Span<float> destination, float a, ReadOnlySpan<float> x, float b, ReadOnlySpan<float> y) =>
        DdimStepKernel.ScaledSum(a, x, b, y, destination);
}
