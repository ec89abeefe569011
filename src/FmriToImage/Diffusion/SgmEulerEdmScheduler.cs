using System.Numerics.Tensors;

namespace FmriToImage.Diffusion;

/// <summary>
/// The <c>EulerEDMSampler</c> of Stability's generative-models (sgm) with <c>LegacyDDPMDiscretization</c> and a
/// <c>DiscreteDenoiser</c> over <c>EpsScaling</c> or <c>VScaling</c>, churn 0: the sampler SDXL and MindEye2's SDXL
/// unCLIP run (38 steps there). Selected by <c>_class_name</c> <c>"SgmEulerEDMScheduler"</c>.
/// </summary>
/// <remarks>
/// <para>
/// Discretisation: σ_t = √((1 − ᾱ_t)/ᾱ_t) (float32, as sgm) of the DDPM schedule with √β linear from
/// √linear_start to √linear_end; for n &lt; T steps the timesteps ⌊(T−1) − k·(T−1)/n⌋, k = 0 … n−1 (sgm's
/// <c>generate_roughly_equally_spaced_steps</c>), so the run goes from t = T−1 down to ⌊(T−1)/n⌋, and a final σ = 0.
/// </para>
/// <para>
/// Preconditioning: the denoiser quantises σ to the nearest training σ_q (its index q is the model's timestep,
/// sgm's c_noise), gives the model x·c_in with c_in = 1/√(σ_q² + 1) and returns D = c_skip·x + c_out·F with
/// (c_skip, c_out) = (1, −σ_q) for epsilon and (1/(σ_q² + 1), −σ_q/√(σ_q² + 1)) for v. The Euler step uses the
/// unquantised σ: x ← x + (σ_next − σ)·(x − D)/σ. The start noise is scaled by √(1 + σ_0²). Classifier-free guidance
/// on D (sgm's <c>VanillaCFG</c>) equals guidance on F, which is what the <see cref="Sampler"/> does, since D is
/// affine in F with the same x for both halves.
/// </para>
/// <para>
/// img2img follows sgm's <c>Img2ImgDiscretizationWrapper</c>: of the n + 1 sigmas (with the final 0) the
/// max(⌊strength·(n + 1)⌋, 1) smallest are kept, so the start index is (n + 1) − that count.
/// </para>
/// </remarks>
internal sealed class SgmEulerEdmScheduler : IDiffusionScheduler
{
    private readonly double[] _trainSigmas;
    private double[] _sigmas = [];
    private int[] _indices = [];

    /// <summary>Builds the training sigmas of <paramref name="config"/>.</summary>
    /// <param name="config">The configuration.</param>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">T is outside [2, 10000].</exception>
    /// <exception cref="NotSupportedException">The prediction type is not epsilon or v_prediction.</exception>
    public SgmEulerEdmScheduler(SgmEulerEdmSchedulerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        int t = config.NumTrainTimesteps;
        SchedulerChecks.RequireTrainTimesteps(t, 2);

        SchedulerChecks.RequireEpsilonOrV(config.PredictionType, ClassName);

        Config = config;
        double[] alphas = NoiseSchedule.AlphasCumprod(
            NoiseSchedule.Betas(t, config.LinearStart, config.LinearEnd, BetaSchedule.ScaledLinear, null, nameof(config)));
        _trainSigmas = new double[t];
        for (int i = 0; i < t; i++)
        {
            _trainSigmas[i] = MathF.Sqrt((float)((1 - alphas[i]) / alphas[i]));
        }
    }

    /// <summary>The configuration.</summary>
    public SgmEulerEdmSchedulerConfig Config { get; }

    /// <inheritdoc/>
    public string ClassName => "SgmEulerEDMScheduler";

    /// <inheritdoc/>
    public PredictionType PredictionType => Config.PredictionType;

    /// <inheritdoc/>
    public int MaxInferenceSteps => Config.NumTrainTimesteps;

    /// <inheritdoc/>
    public int? NumInferenceSteps { get; private set; }

    /// <inheritdoc/>
    public int StepCount => NumInferenceSteps ?? 0;

    /// <summary>The run's sigmas, descending, plus the final 0.</summary>
    public ReadOnlySpan<double> Sigmas => _sigmas;

    /// <inheritdoc/>
    /// <remarks>√(1 + σ_0²), sgm's <c>prepare_sampling_loop</c>.</remarks>
    public double InitNoiseSigma => _sigmas.Length == 0 ? Math.Sqrt(1 + (_trainSigmas[^1] * _trainSigmas[^1])) : Math.Sqrt(1 + (_sigmas[0] * _sigmas[0]));

    /// <inheritdoc/>
    public bool SupportsEta => false;

    /// <inheritdoc/>
    public void SetTimesteps(int numInferenceSteps)
    {
        int t = Config.NumTrainTimesteps;
        SchedulerChecks.RequireStepCount(numInferenceSteps, t);

        int n = numInferenceSteps;
        var sigmas = new double[n + 1];
        var indices = new int[n];
        double step = -(t - 1.0) / n;
        for (int k = 0; k < n; k++)
        {
            int timestep = n < t ? (int)((t - 1) + (k * step)) : t - 1 - k;
            sigmas[k] = _trainSigmas[timestep];
            indices[k] = NearestIndex(sigmas[k]);
        }

        _sigmas = sigmas;
        _indices = indices;
        NumInferenceSteps = n;
    }

    /// <inheritdoc/>
    /// <remarks>The index of the training σ nearest the step's σ (sgm's quantised c_noise): an integer.</remarks>
    public double ModelTimestep(int stepIndex)
    {
        SchedulerChecks.RequireStepIndex(stepIndex, StepCount, ClassName);
        return _indices[stepIndex];
    }

    /// <inheritdoc/>
    /// <remarks>(n + 1) − max(⌊strength·(n + 1)⌋, 1), sgm's <c>Img2ImgDiscretizationWrapper</c>.</remarks>
    public int Img2ImgStartIndex(double strength)
    {
        int n = NumInferenceSteps ?? throw new InvalidOperationException($"{ClassName}: call SetTimesteps first.");
        Sampler.Img2ImgStartIndex(n, strength); // validates the strength
        return n + 1 - Math.Max((int)(strength * (n + 1)), 1);
    }

    /// <inheritdoc/>
    /// <remarks>x ← x/√(σ_q² + 1).</remarks>
    public void ScaleModelInput(Span<float> samples, int stepIndex)
    {
        SchedulerChecks.RequireStepIndex(stepIndex, StepCount, ClassName);
        double q = _trainSigmas[_indices[stepIndex]];
        TensorPrimitives.Multiply(samples, (float)(1 / Math.Sqrt((q * q) + 1)), samples);
    }

    /// <inheritdoc/>
    public void Step(ReadOnlySpan<float> modelOutput, int stepIndex, Span<float> samples, int sampleLength, float eta = 0f, ReadOnlySpan<float> varianceNoise = default)
    {
        SchedulerChecks.RequireStepIndex(stepIndex, StepCount, ClassName);
        SchedulerChecks.RequireStep(modelOutput, samples, sampleLength, eta, ClassName);
        double q = _trainSigmas[_indices[stepIndex]];
        (double skip, double output) = Config.PredictionType == PredictionType.Epsilon
            ? (1.0, -q)
            : (1 / ((q * q) + 1), -q / Math.Sqrt((q * q) + 1));
        EulerSigmaStep.Apply(_sigmas[stepIndex], _sigmas[stepIndex + 1], skip, output, modelOutput, samples);
    }

    /// <inheritdoc/>
    /// <remarks>destination = original + σ·noise (sgm's img2img start, before the sampler's √(1 + σ_0²) scaling, which it undoes).</remarks>
    public void AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int stepIndex, Span<float> destination)
    {
        SchedulerChecks.RequireStepIndex(stepIndex, StepCount, ClassName);
        EulerSigmaStep.AddNoise(_sigmas[stepIndex], original, noise, destination);
    }

    /// <summary>argmin_j |σ − σ_j| over the training sigmas (the first on a tie, as torch's argmin).</summary>
    private int NearestIndex(double sigma)
    {
        int best = 0;
        double distance = double.PositiveInfinity;
        for (int j = 0; j < _trainSigmas.Length; j++)
        {
            double d = Math.Abs(sigma - _trainSigmas[j]);
            if (d < distance)
            {
                distance = d;
                best = j;
            }
        }

        return best;
    }
}
