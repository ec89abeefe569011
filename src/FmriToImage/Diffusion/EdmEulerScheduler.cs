using System.Globalization;
using System.Numerics.Tensors;

namespace FmriToImage.Diffusion;

/// <summary>
/// The Euler sampler of Karras et al. (arXiv:2206.00364) with the EDM preconditioning, as diffusers'
/// <c>EDMEulerScheduler</c>: a Karras (or exponential) sigma schedule between σ_min and σ_max, model input
/// x·c_in with c_in = 1/√(σ² + σ_d²), model timestep c_noise = ¼·ln σ, denoised D = c_skip·x + c_out·F with
/// c_skip = σ_d²/(σ² + σ_d²) and c_out = ±σ·σ_d/√(σ² + σ_d²) (+ for epsilon, − for v_prediction), Euler step.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="InitNoiseSigma"/> is √(σ_max² + 1), as diffusers has it (k-diffusion starts from σ_max); the model
/// timesteps are fractional (and negative below σ = 1). Churn is fixed at 0.
/// </para>
/// <para>Thread-safety: holds the timestep state of one run; one instance per concurrent loop.</para>
/// </remarks>
internal sealed class EdmEulerScheduler : IDiffusionScheduler
{
    private double[] _timesteps = [];
    private double[] _sigmas = [];

    /// <summary>Checks <paramref name="config"/>.</summary>
    /// <param name="config">The configuration.</param>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A sigma, σ_data or ρ is not positive and finite, σ_min ≥ σ_max, or T is outside [1, 10000].</exception>
    /// <exception cref="NotSupportedException">An enum option holds an undefined value or the prediction type is sample.</exception>
    public EdmEulerScheduler(EdmEulerSchedulerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (!(config.SigmaMin > 0 && config.SigmaMin < config.SigmaMax && double.IsFinite(config.SigmaMax)
              && config.SigmaData > 0 && double.IsFinite(config.SigmaData) && config.Rho > 0 && double.IsFinite(config.Rho)))
        {
            throw new ArgumentOutOfRangeException(nameof(config), string.Create(CultureInfo.InvariantCulture,
                $"EDM needs 0 < sigma_min < sigma_max, sigma_data > 0 and rho > 0, all finite; they are {config.SigmaMin}, {config.SigmaMax}, {config.SigmaData} and {config.Rho}."));
        }

        SchedulerChecks.RequireTrainTimesteps(config.NumTrainTimesteps, 1);

        NoiseSchedule.RequireDefined(config.SigmaSchedule, "sigma_schedule", ClassName);
        NoiseSchedule.RequireDefined(config.FinalSigmasType, "final_sigmas_type", ClassName);
        SchedulerChecks.RequireEpsilonOrV(config.PredictionType, ClassName);

        Config = config;
    }

    /// <summary>The configuration.</summary>
    public EdmEulerSchedulerConfig Config { get; }

    /// <inheritdoc/>
    public string ClassName => "EDMEulerScheduler";

    /// <inheritdoc/>
    public PredictionType PredictionType => Config.PredictionType;

    /// <inheritdoc/>
    public int MaxInferenceSteps => Config.NumTrainTimesteps;

    /// <inheritdoc/>
    public int? NumInferenceSteps { get; private set; }

    /// <inheritdoc/>
    public int StepCount => NumInferenceSteps ?? 0;

    /// <summary>The run's model timesteps c_noise = ¼·ln σ.</summary>
    public ReadOnlySpan<double> Timesteps => _timesteps;

    /// <summary>The run's sigmas plus the final one.</summary>
    public ReadOnlySpan<double> Sigmas => _sigmas;

    /// <inheritdoc/>
    public double InitNoiseSigma => Math.Sqrt((Config.SigmaMax * Config.SigmaMax) + 1);

    /// <inheritdoc/>
    public bool SupportsEta => false;

    /// <inheritdoc/>
    public void SetTimesteps(int numInferenceSteps)
    {
        SchedulerChecks.RequireStepCount(numInferenceSteps, MaxInferenceSteps);

        int n = numInferenceSteps;
        double[] schedule = Config.SigmaSchedule == EdmSigmaSchedule.Karras
            ? EulerSigmaStep.Karras(Config.SigmaMin, Config.SigmaMax, Config.Rho, n)
            : Exponential(Config.SigmaMin, Config.SigmaMax, n);
        var sigmas = new double[n + 1];
        var timesteps = new double[n];
        for (int k = 0; k < n; k++)
        {
            sigmas[k] = EulerSigmaStep.Single(schedule[k]);
            timesteps[k] = EulerSigmaStep.Single(0.25 * Math.Log(sigmas[k]));
        }

        sigmas[n] = Config.FinalSigmasType == FinalSigmaType.Zero ? 0.0 : sigmas[n - 1];
        _sigmas = sigmas;
        _timesteps = timesteps;
        NumInferenceSteps = n;
    }

    /// <inheritdoc/>
    public double ModelTimestep(int stepIndex)
    {
        SchedulerChecks.RequireStepIndex(stepIndex, StepCount, ClassName);
        return _timesteps[stepIndex];
    }

    /// <inheritdoc/>
    /// <remarks>diffusers' img2img rule (<see cref="Sampler.Img2ImgStartIndex"/>).</remarks>
    public int Img2ImgStartIndex(double strength) => SchedulerChecks.DiffusersImg2ImgStart(NumInferenceSteps, strength, ClassName);

    /// <inheritdoc/>
    /// <remarks>x ← x·c_in, c_in = 1/√(σ² + σ_d²).</remarks>
    public void ScaleModelInput(Span<float> samples, int stepIndex)
    {
        SchedulerChecks.RequireStepIndex(stepIndex, StepCount, ClassName);
        double sigma = _sigmas[stepIndex];
        double data = Config.SigmaData;
        TensorPrimitives.Multiply(samples, (float)(1 / Math.Sqrt((sigma * sigma) + (data * data))), samples);
    }

    /// <inheritdoc/>
    public void Step(ReadOnlySpan<float> modelOutput, int stepIndex, Span<float> samples, int sampleLength, float eta = 0f, ReadOnlySpan<float> varianceNoise = default)
    {
        SchedulerChecks.RequireStepIndex(stepIndex, StepCount, ClassName);
        SchedulerChecks.RequireStep(modelOutput, samples, sampleLength, eta, ClassName);
        double sigma = _sigmas[stepIndex];
        double data = Config.SigmaData;
        double total = (sigma * sigma) + (data * data);
        double output = sigma * data / Math.Sqrt(total) * (Config.PredictionType == PredictionType.Epsilon ? 1 : -1);
        EulerSigmaStep.Apply(sigma, _sigmas[stepIndex + 1], data * data / total, output, modelOutput, samples);
    }

    /// <inheritdoc/>
    /// <remarks>destination = original + σ·noise.</remarks>
    public void AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int stepIndex, Span<float> destination)
    {
        SchedulerChecks.RequireStepIndex(stepIndex, StepCount, ClassName);
        EulerSigmaStep.AddNoise(_sigmas[stepIndex], original, noise, destination);
    }

    /// <summary>exp(linspace(ln σ_min, ln σ_max, n)), descending.</summary>
    private static double[] Exponential(double sigmaMin, double sigmaMax, int n)
    {
        var sigmas = new double[n];
        double lo = Math.Log(sigmaMin), hi = Math.Log(sigmaMax);
        double step = n > 1 ? (hi - lo) / (n - 1) : 0.0;
        for (int k = 0; k < n; k++)
        {
            double value = k == n - 1 && n > 1 ? hi : lo + (k * step);
            sigmas[n - 1 - k] = Math.Exp(value);
        }

        return sigmas;
    }
}
