using System.Globalization;
using System.Numerics.Tensors;

namespace FmriToImage.Diffusion;

/// <summary>
/// The Euler sampler of Karras et al. (arXiv:2206.00364, Algorithm 2 with churn 0) on a discrete-time DDPM model,
/// with the behaviour of diffusers' <c>EulerDiscreteScheduler</c> (see <see cref="EulerDiscreteSchedulerConfig"/>):
/// σ_t = √((1 − ᾱ_t)/ᾱ_t) interpolated linearly at the (possibly fractional) inference timesteps, or Karras-spaced
/// with the timesteps mapped back through log σ; the model input is x/√(σ² + 1); the step is
/// x ← x + (σ_next − σ)·(x − x̂₀)/σ.
/// </summary>
/// <remarks>
/// <para>
/// Precision: the schedule is float64; timesteps and sigmas are rounded to float32 where diffusers casts them; the
/// sample arithmetic is float32. Churn (<c>s_churn</c>, <c>s_tmin</c>, <c>s_tmax</c>, <c>s_noise</c>) is fixed at
/// diffusers' defaults (no churn): the step is deterministic.
/// </para>
/// <para>Thread-safety: holds the timestep state of one run; one instance per concurrent loop.</para>
/// </remarks>
internal sealed class EulerDiscreteScheduler : IDiffusionScheduler
{
    private readonly double[] _trainSigmas;
    private readonly double[] _logSigmas;
    private double[] _timesteps;
    private double[] _sigmas;

    /// <summary>Builds the training sigmas of <paramref name="config"/>.</summary>
    /// <param name="config">The configuration.</param>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">T is outside [2, 10000], the steps offset is negative, or a Karras bound is not positive.</exception>
    /// <exception cref="ArgumentException"><see cref="EulerDiscreteSchedulerConfig.TrainedBetas"/> has a count other than T.</exception>
    /// <exception cref="NotSupportedException">An enum option holds an undefined value.</exception>
    public EulerDiscreteScheduler(EulerDiscreteSchedulerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        int t = config.NumTrainTimesteps;
        SchedulerChecks.RequireTrainTimesteps(t, 2);
        SchedulerChecks.RequireStepsOffset(config.StepsOffset);

        if (config.SigmaMin is <= 0 || config.SigmaMax is <= 0 || config.SigmaMin is double.NaN || config.SigmaMax is double.NaN)
        {
            throw new ArgumentOutOfRangeException(nameof(config), string.Create(CultureInfo.InvariantCulture,
                $"SigmaMin and SigmaMax must be positive when set; they are {config.SigmaMin} and {config.SigmaMax}."));
        }

        NoiseSchedule.RequireDefined(config.BetaSchedule, "beta_schedule", ClassName);
        NoiseSchedule.RequireDefined(config.PredictionType, "prediction_type", ClassName);
        NoiseSchedule.RequireDefined(config.TimestepSpacing, "timestep_spacing", ClassName);
        NoiseSchedule.RequireDefined(config.FinalSigmasType, "final_sigmas_type", ClassName);
        Config = config;
        double[] alphas = NoiseSchedule.AlphasCumprod(
            NoiseSchedule.Betas(t, config.BetaStart, config.BetaEnd, config.BetaSchedule, config.TrainedBetas, nameof(config)));
        _trainSigmas = new double[t];
        _logSigmas = new double[t];
        for (int i = 0; i < t; i++)
        {
            _trainSigmas[i] = Math.Sqrt((1 - alphas[i]) / alphas[i]);
            _logSigmas[i] = Math.Log(_trainSigmas[i]);
        }

        // Before SetTimesteps, diffusers holds every training timestep, descending, and its sigma.
        _timesteps = new double[t];
        _sigmas = new double[t + 1];
        for (int i = 0; i < t; i++)
        {
            _timesteps[i] = t - 1 - i;
            _sigmas[i] = EulerSigmaStep.Single(_trainSigmas[t - 1 - i]);
        }
    }

    /// <summary>The configuration.</summary>
    public EulerDiscreteSchedulerConfig Config { get; }

    /// <inheritdoc/>
    public string ClassName => "EulerDiscreteScheduler";

    /// <inheritdoc/>
    public PredictionType PredictionType => Config.PredictionType;

    /// <inheritdoc/>
    public int MaxInferenceSteps => Config.NumTrainTimesteps;

    /// <inheritdoc/>
    public int? NumInferenceSteps { get; private set; }

    /// <inheritdoc/>
    public int StepCount => NumInferenceSteps ?? 0;

    /// <summary>The run's timesteps, descending (fractional in linspace spacing and with Karras sigmas).</summary>
    public ReadOnlySpan<double> Timesteps => _timesteps;

    /// <summary>The run's sigmas, one per timestep plus the final one (0 or the smallest training sigma).</summary>
    public ReadOnlySpan<double> Sigmas => _sigmas;

    /// <inheritdoc/>
    /// <remarks>The largest sigma in linspace and trailing spacing, √(σ_max² + 1) in leading spacing (diffusers).</remarks>
    public double InitNoiseSigma
    {
        get
        {
            double max = 0;
            foreach (double s in _sigmas)
            {
                max = Math.Max(max, s);
            }

            return Config.TimestepSpacing == TimestepSpacing.Leading ? Math.Sqrt((max * max) + 1) : max;
        }
    }

    /// <inheritdoc/>
    public bool SupportsEta => false;

    /// <inheritdoc/>
    public void SetTimesteps(int numInferenceSteps)
    {
        int t = Config.NumTrainTimesteps;
        SchedulerChecks.RequireStepCount(numInferenceSteps, t);

        int n = numInferenceSteps;
        double[] timesteps = Config.TimestepSpacing == TimestepSpacing.Linspace
            ? TimestepGrid.Linspace(t, n)
            : Array.ConvertAll(TimestepGrid.Integers(Config.TimestepSpacing, t, n, Config.StepsOffset), v => (double)v);
        var sigmas = new double[n + 1];
        for (int k = 0; k < n; k++)
        {
            timesteps[k] = EulerSigmaStep.Single(timesteps[k]);
            sigmas[k] = Interpolate(timesteps[k]);
        }

        if (Config.UseKarrasSigmas)
        {
            double[] karras = EulerSigmaStep.Karras(Config.SigmaMin ?? sigmas[n - 1], Config.SigmaMax ?? sigmas[0], 7.0, n);
            for (int k = 0; k < n; k++)
            {
                sigmas[k] = karras[k];
                timesteps[k] = EulerSigmaStep.Single(SigmaToTimestep(karras[k]));
            }
        }

        sigmas[n] = Config.FinalSigmasType == FinalSigmaType.Zero ? 0.0 : _trainSigmas[0];
        for (int k = 0; k <= n; k++)
        {
            sigmas[k] = EulerSigmaStep.Single(sigmas[k]);
        }

        _timesteps = timesteps;
        _sigmas = sigmas;
        NumInferenceSteps = n;
    }

    /// <inheritdoc/>
    public double ModelTimestep(int stepIndex)
    {
        SchedulerChecks.RequireStepIndex(stepIndex, StepCount, ClassName);
        return _timesteps[stepIndex];
    }

    /// <inheritdoc/>
    /// <remarks>diffusers' img2img rule (<see cref="Sampler.Img2ImgStartIndex"/>; Euler's order is 1).</remarks>
    public int Img2ImgStartIndex(double strength) => SchedulerChecks.DiffusersImg2ImgStart(NumInferenceSteps, strength, ClassName);

    /// <inheritdoc/>
    /// <remarks>x ← x/√(σ² + 1).</remarks>
    public void ScaleModelInput(Span<float> samples, int stepIndex)
    {
        SchedulerChecks.RequireStepIndex(stepIndex, StepCount, ClassName);
        double sigma = _sigmas[stepIndex];
        TensorPrimitives.Multiply(samples, (float)(1 / Math.Sqrt((sigma * sigma) + 1)), samples);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// x̂₀ = x − σ·F (epsilon), x/(σ² + 1) − σ·F/√(σ² + 1) (v_prediction) or F (sample); then
    /// x ← x + (σ_next − σ)·(x − x̂₀)/σ. No churn.
    /// </remarks>
    public void Step(ReadOnlySpan<float> modelOutput, int stepIndex, Span<float> samples, int sampleLength, float eta = 0f, ReadOnlySpan<float> varianceNoise = default)
    {
        SchedulerChecks.RequireStepIndex(stepIndex, StepCount, ClassName);
        SchedulerChecks.RequireStep(modelOutput, samples, sampleLength, eta, ClassName);
        double sigma = _sigmas[stepIndex];
        (double skip, double output) = Config.PredictionType switch
        {
            PredictionType.Epsilon => (1.0, -sigma),
            PredictionType.VPrediction => (1 / ((sigma * sigma) + 1), -sigma / Math.Sqrt((sigma * sigma) + 1)),
            _ => (0.0, 1.0),
        };
        EulerSigmaStep.Apply(sigma, _sigmas[stepIndex + 1], skip, output, modelOutput, samples);
    }

    /// <inheritdoc/>
    /// <remarks>destination = original + σ·noise.</remarks>
    public void AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int stepIndex, Span<float> destination)
    {
        SchedulerChecks.RequireStepIndex(stepIndex, StepCount, ClassName);
        EulerSigmaStep.AddNoise(_sigmas[stepIndex], original, noise, destination);
    }

    /// <summary>np.interp(t, arange(T), σ_train) for t in [0, T − 1].</summary>
    private double Interpolate(double t)
    {
        int last = _trainSigmas.Length - 1;
        if (t >= last)
        {
            return _trainSigmas[last];
        }

        if (t <= 0)
        {
            return _trainSigmas[0];
        }

        int j = (int)Math.Floor(t);
        return ((_trainSigmas[j + 1] - _trainSigmas[j]) * (t - j)) + _trainSigmas[j];
    }

    /// <summary>
    /// diffusers' <c>_sigma_to_t</c>: the timestep whose log σ is <paramref name="sigma"/>'s, interpolated linearly
    /// between the two training timesteps around it (clamped to the schedule's ends).
    /// </summary>
    private double SigmaToTimestep(double sigma)
    {
        double logSigma = Math.Log(Math.Max(sigma, 1e-10));
        int low = 0;
        for (int i = 0; i < _logSigmas.Length; i++)
        {
            if (logSigma - _logSigmas[i] >= 0)
            {
                low = i;
            }
        }

        low = Math.Min(low, _logSigmas.Length - 2);
        int high = low + 1;
        double w = (_logSigmas[low] - logSigma) / (_logSigmas[low] - _logSigmas[high]);
        w = Math.Clamp(w, 0.0, 1.0);
        return ((1 - w) * low) + (w * high);
    }
}
