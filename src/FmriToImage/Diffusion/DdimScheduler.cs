using System.Collections.ObjectModel;
using System.Globalization;

namespace FmriToImage.Diffusion;

/// <summary>
/// The DDIM sampler of Song et al. (arXiv:2010.02502) with the exact behaviour of diffusers' <c>DDIMScheduler</c>,
/// option for option (see <see cref="DdimSchedulerConfig"/>): the same β schedules, timestep grids, previous-timestep
/// rule (t − T div n), x₀ clipping / dynamic thresholding, η-variance and <c>add_noise</c>.
/// </summary>
/// <remarks>
/// <para>
/// Precision: the schedule (β, ᾱ, and every per-step coefficient) is computed in float64, where diffusers uses
/// float32 tensors; the two schedules differ by at most about 2·10⁻⁶ relative in ᾱ (docs/diffusion.md). The
/// element-wise arithmetic on samples is float32, like diffusers running a float32 pipeline.
/// </para>
/// <para>
/// Thread-safety: an instance holds the timestep state set by <see cref="SetTimesteps"/> and a scratch buffer, so it
/// must not be used by two threads at once; use one scheduler per concurrent loop (construction is cheap).
/// </para>
/// </remarks>
internal sealed class DdimScheduler : IDiffusionScheduler
{
    private readonly double[] _betas;
    private readonly double[] _alphasCumprod;
    private int[] _timesteps;
    private ReadOnlyCollection<int> _timestepsView;
    private float[] _thresholdScratch = [];
    private float[] _noiseScratch = [];

    /// <summary>Builds the β and ᾱ schedules of <paramref name="config"/>.</summary>
    /// <param name="config">The configuration (for example from <see cref="DdimSchedulerConfig.FromJson(string)"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="config"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <see cref="DdimSchedulerConfig.NumTrainTimesteps"/> is below 1 or above <see cref="DdimSchedulerConfig.MaxTrainTimesteps"/>, <see cref="DdimSchedulerConfig.StepsOffset"/>
    /// is negative, or <see cref="DdimSchedulerConfig.DynamicThresholdingRatio"/> is outside [0, 1].
    /// </exception>
    /// <exception cref="ArgumentException"><see cref="DdimSchedulerConfig.TrainedBetas"/> has a count other than T.</exception>
    /// <exception cref="NotSupportedException">An enum option holds a value that is not one of its defined members.</exception>
    public DdimScheduler(DdimSchedulerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        int t = config.NumTrainTimesteps;
        SchedulerChecks.RequireTrainTimesteps(t, 1, DdimSchedulerConfig.MaxTrainTimesteps);
        SchedulerChecks.RequireStepsOffset(config.StepsOffset);

        if (!(config.DynamicThresholdingRatio is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(config), config.DynamicThresholdingRatio,
                string.Create(CultureInfo.InvariantCulture, $"DynamicThresholdingRatio must lie in [0, 1]; it is {config.DynamicThresholdingRatio}."));
        }

        NoiseSchedule.RequireDefined(config.BetaSchedule, "beta_schedule", "DDIM");
        NoiseSchedule.RequireDefined(config.PredictionType, "prediction_type", "DDIM");
        NoiseSchedule.RequireDefined(config.TimestepSpacing, "timestep_spacing", "DDIM");

        Config = config;
        _betas = NoiseSchedule.Betas(t, config.BetaStart, config.BetaEnd, config.BetaSchedule, config.TrainedBetas, nameof(config));
        if (config.RescaleBetasZeroSnr)
        {
            RescaleZeroTerminalSnr(_betas);
        }

        _alphasCumprod = NoiseSchedule.AlphasCumprod(_betas);

        FinalAlphaCumprod = config.SetAlphaToOne ? 1.0 : _alphasCumprod[0];

        // Before SetTimesteps, diffusers exposes every training timestep, descending.
        _timesteps = new int[t];
        for (int i = 0; i < t; i++)
        {
            _timesteps[i] = t - 1 - i;
        }

        _timestepsView = Array.AsReadOnly(_timesteps);
    }

    /// <summary>The configuration this scheduler was built from.</summary>
    public DdimSchedulerConfig Config { get; }

    /// <summary>β_i for every training timestep i (after zero-SNR rescaling when configured), float64.</summary>
    public ReadOnlySpan<double> Betas => _betas;

    /// <summary>ᾱ_i = ∏_{k≤i}(1 − β_k) for every training timestep i, float64 (length T).</summary>
    public ReadOnlySpan<double> AlphasCumprod => _alphasCumprod;

    /// <summary>The ᾱ used as "previous" on the last step: 1 when <see cref="DdimSchedulerConfig.SetAlphaToOne"/>, else ᾱ₀.</summary>
    public double FinalAlphaCumprod { get; }

    /// <summary>The standard deviation of the initial noise; always 1 for DDIM.</summary>
    public double InitNoiseSigma => 1.0;

    /// <summary>The step count of the last <see cref="SetTimesteps"/> call, or null before the first.</summary>
    public int? NumInferenceSteps { get; private set; }

    /// <summary>
    /// The inference timesteps in the order they are run (descending). Before <see cref="SetTimesteps"/> this is every
    /// training timestep T−1 … 0, as in diffusers. The list is replaced, not modified, by the next call.
    /// </summary>
    public IReadOnlyList<int> Timesteps => _timestepsView;

    /// <summary>
    /// Chooses the <paramref name="numInferenceSteps"/> timesteps of the loop according to
    /// <see cref="DdimSchedulerConfig.TimestepSpacing"/> (see that enum for the rules).
    /// </summary>
    /// <param name="numInferenceSteps">The number of denoising steps, 1 … T.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The count is below 1 or above T (the message names both limits), or, in leading spacing, the steps offset pushes
    /// the largest timestep past T−1.
    /// </exception>
    public void SetTimesteps(int numInferenceSteps)
    {
        int t = Config.NumTrainTimesteps;
        SchedulerChecks.RequireStepCount(numInferenceSteps, t);

        int n = numInferenceSteps;
        int[] steps = TimestepGrid.Integers(Config.TimestepSpacing, t, n, Config.StepsOffset);
        _timesteps = steps;
        _timestepsView = Array.AsReadOnly(steps);
        NumInferenceSteps = n;
    }

    /// <summary>
    /// The timestep a step from <paramref name="timestep"/> lands on: t − T div n, as diffusers computes it for every
    /// spacing; negative on the last step (then <see cref="FinalAlphaCumprod"/> is used).
    /// </summary>
    /// <param name="timestep">The current timestep.</param>
    /// <returns>The previous timestep, possibly negative.</returns>
    /// <exception cref="InvalidOperationException"><see cref="SetTimesteps"/> has not been called.</exception>
    public int PreviousTimestep(int timestep) => timestep - (Config.NumTrainTimesteps / RequireSteps());

    /// <summary>
    /// The DDIM posterior variance σ²/η² = (1 − ᾱ_prev)/(1 − ᾱ_t) · (1 − ᾱ_t/ᾱ_prev) (diffusers' <c>_get_variance</c>).
    /// </summary>
    /// <param name="timestep">t, in [0, T).</param>
    /// <param name="previousTimestep">The previous timestep, below T; negative means <see cref="FinalAlphaCumprod"/>.</param>
    /// <returns>The variance.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A timestep is out of range.</exception>
    public double GetVariance(int timestep, int previousTimestep)
    {
        RequireTimestep(timestep, nameof(timestep));
        if (previousTimestep >= Config.NumTrainTimesteps)
        {
            throw new ArgumentOutOfRangeException(nameof(previousTimestep), previousTimestep,
                $"previousTimestep must be below num_train_timesteps = {Config.NumTrainTimesteps}; it is {previousTimestep}.");
        }

        double at = _alphasCumprod[timestep];
        double ap = previousTimestep >= 0 ? _alphasCumprod[previousTimestep] : FinalAlphaCumprod;
        return (1 - ap) / (1 - at) * (1 - (at / ap));
    }

    /// <summary>
    /// One DDIM step from <paramref name="timestep"/> to t − T div n (diffusers' <c>step(...).prev_sample</c>):
    /// predicts x₀ and ε from the model output, clips or thresholds x₀, and writes
    /// x_prev = √ᾱ_prev·x₀ + √(1 − ᾱ_prev − σ²)·ε + σ·z with σ = η·√variance.
    /// </summary>
    /// <param name="modelOutput">The network output for <paramref name="sample"/> at <paramref name="timestep"/> (ε, v or x₀ per <see cref="DdimSchedulerConfig.PredictionType"/>).</param>
    /// <param name="timestep">The current timestep t, in [0, T).</param>
    /// <param name="sample">The current sample x_t.</param>
    /// <param name="prevSample">Receives x_prev. May be exactly <paramref name="sample"/> or <paramref name="modelOutput"/> (in place); must not partly overlap them.</param>
    /// <param name="eta">η ≥ 0: 0 is deterministic DDIM, 1 is DDPM-like.</param>
    /// <param name="useClippedModelOutput">Re-derive ε from the clipped x₀ (diffusers' <c>use_clipped_model_output</c>).</param>
    /// <param name="varianceNoise">
    /// z, standard normal, same length as <paramref name="sample"/>; used only when η &gt; 0. When empty and η &gt; 0
    /// it is drawn from <see cref="NoiseSource"/>.
    /// </param>
    /// <remarks>
    /// All spans are one flat buffer; every operation is element-wise except dynamic thresholding, whose quantile is
    /// taken over the whole span, i.e. the span is one sample. For a batch with thresholding, call Step once per
    /// sample (the <see cref="Sampler"/> does). Allocation-free except the first thresholding call on a larger span.
    /// </remarks>
    /// <exception cref="InvalidOperationException">
    /// <see cref="SetTimesteps"/> has not been called, or η &gt; 0 with no <paramref name="varianceNoise"/> and no <see cref="NoiseSource"/>.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">The timestep is outside [0, T), η is negative or not finite, or η is so large that 1 − ᾱ_prev − σ² &lt; 0.</exception>
    /// <exception cref="ArgumentException">The span lengths differ (the message gives both), or <paramref name="prevSample"/> partly overlaps an input.</exception>
    public void Step(
        ReadOnlySpan<float> modelOutput,
        int timestep,
        ReadOnlySpan<float> sample,
        Span<float> prevSample,
        float eta = 0f,
        bool useClippedModelOutput = false,
        ReadOnlySpan<float> varianceNoise = default)
    {
        int n = RequireSteps();
        RequireTimestep(timestep, nameof(timestep));
        SchedulerChecks.RequireSameLength(modelOutput, nameof(modelOutput), sample, nameof(sample));
        SchedulerChecks.RequireSameLength(prevSample, nameof(prevSample), sample, nameof(sample));
        SchedulerChecks.RequireInPlaceOrDisjoint(prevSample, nameof(prevSample), sample, nameof(sample));
        SchedulerChecks.RequireInPlaceOrDisjoint(prevSample, nameof(prevSample), modelOutput, nameof(modelOutput));
        if (!float.IsFinite(eta) || eta < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(eta), eta, "eta must be a finite number >= 0.");
        }

        if (eta > 0)
        {
            if (varianceNoise.IsEmpty)
            {
                INoiseSource source = NoiseSource ?? throw new InvalidOperationException(
                    "eta > 0 needs variance noise: pass varianceNoise or set DdimScheduler.NoiseSource.");
                Span<float> drawn = Scratch(ref _noiseScratch, sample.Length);
                source.Fill(drawn);
                varianceNoise = drawn;
            }
            else
            {
                SchedulerChecks.RequireSameLength(varianceNoise, nameof(varianceNoise), sample, nameof(sample));
                SchedulerChecks.RequireInPlaceOrDisjoint(prevSample, nameof(prevSample), varianceNoise, nameof(varianceNoise));
            }
        }
        else
        {
            varianceNoise = default;
        }

        int prev = timestep - (Config.NumTrainTimesteps / n);
        double at = _alphasCumprod[timestep];
        double ap = prev >= 0 ? _alphasCumprod[prev] : FinalAlphaCumprod;
        double sa = Math.Sqrt(at);
        double sb = Math.Sqrt(1 - at);
        double sap = Math.Sqrt(ap);

        // x0 = AX·x + AM·m and (unclipped) ε = EX·x + EM·m, per prediction type.
        (double ax, double am, double ex, double em) = Config.PredictionType switch
        {
            PredictionType.Epsilon => (1 / sa, -sb / sa, 0.0, 1.0),
            PredictionType.Sample => (0.0, 1.0, 1 / sb, -sa / sb),
            _ => (sa, -sb, sb, sa), // VPrediction
        };

        double lo = double.NegativeInfinity, hi = double.PositiveInfinity, scale = 1.0;
        if (Config.Thresholding)
        {
            double s = ThresholdOf(ax, am, sample, modelOutput);
            (lo, hi, scale) = (-s, s, 1 / s);
        }
        else if (Config.ClipSample)
        {
            (lo, hi) = (-Config.ClipSampleRange, Config.ClipSampleRange);
        }

        double variance = (1 - ap) / (1 - at) * (1 - (at / ap));
        double sigma = eta * Math.Sqrt(variance);
        double directionSquared = 1 - ap - (sigma * sigma);
        if (directionSquared < 0)
        {
            if (eta > 1)
            {
                throw new ArgumentOutOfRangeException(nameof(eta), eta,
                    string.Create(CultureInfo.InvariantCulture, $"eta = {eta} makes 1 - alpha_prev - sigma^2 = {directionSquared} negative at timestep {timestep}."));
            }

            directionSquared = 0; // rounding at eta <= 1
        }

        double direction = Math.Sqrt(directionSquared);

        // ε actually used: unclipped (EX·x + EM·m) or re-derived from the clipped x0, (x − √ᾱ·x0)/√β.
        (double ux, double um, double u0) = useClippedModelOutput ? (1 / sb, 0.0, -sa / sb) : (ex, em, 0.0);
        var kernel = new DdimStepKernel
        {
            AX = (float)ax,
            AM = (float)am,
            Lo = (float)lo,
            Hi = (float)hi,
            Scale = (float)scale,
            P0 = (float)(sap + (direction * u0)),
            PX = (float)(direction * ux),
            PM = (float)(direction * um),
            Sigma = (float)sigma,
        };
        kernel.Apply(sample, modelOutput, varianceNoise, prevSample);
    }

    /// <summary>
    /// Forward diffusion to <paramref name="timestep"/>: destination = √ᾱ_t·original + √(1 − ᾱ_t)·noise
    /// (diffusers' <c>add_noise</c>; img2img uses it to start from an encoded image).
    /// </summary>
    /// <param name="original">x₀.</param>
    /// <param name="noise">ε, standard normal, same length.</param>
    /// <param name="timestep">t, in [0, T).</param>
    /// <param name="destination">Receives x_t; may be exactly <paramref name="original"/> or <paramref name="noise"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The timestep is outside [0, T).</exception>
    /// <exception cref="ArgumentException">The span lengths differ (the message gives both), or the destination partly overlaps an input.</exception>
    public void AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int timestep, Span<float> destination)
    {
        CheckPair(original, nameof(original), noise, nameof(noise), timestep, destination);
        double at = _alphasCumprod[timestep];
        DdimStepKernel.ScaledSum((float)Math.Sqrt(at), original, (float)Math.Sqrt(1 - at), noise, destination);
    }

    /// <summary>
    /// The v-prediction target at <paramref name="timestep"/>: destination = √ᾱ_t·noise − √(1 − ᾱ_t)·sample
    /// (diffusers' <c>get_velocity</c>).
    /// </summary>
    /// <param name="sample">x₀.</param>
    /// <param name="noise">ε, same length.</param>
    /// <param name="timestep">t, in [0, T).</param>
    /// <param name="destination">Receives v; may be exactly <paramref name="sample"/> or <paramref name="noise"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">The timestep is outside [0, T).</exception>
    /// <exception cref="ArgumentException">The span lengths differ (the message gives both), or the destination partly overlaps an input.</exception>
    public void GetVelocity(ReadOnlySpan<float> sample, ReadOnlySpan<float> noise, int timestep, Span<float> destination)
    {
        CheckPair(sample, nameof(sample), noise, nameof(noise), timestep, destination);
        double at = _alphasCumprod[timestep];
        DdimStepKernel.ScaledSum((float)Math.Sqrt(at), noise, (float)-Math.Sqrt(1 - at), sample, destination);
    }

    /// <summary>
    /// Where <see cref="Step"/> draws variance noise when η &gt; 0 and no <c>varianceNoise</c> is passed (diffusers'
    /// <c>generator</c>). Null by default; the <see cref="Sampler"/> passes its noise explicitly and does not use it.
    /// </summary>
    public INoiseSource? NoiseSource { get; set; }

    /// <inheritdoc/>
    string IDiffusionScheduler.ClassName => "DDIMScheduler";

    /// <inheritdoc/>
    PredictionType IDiffusionScheduler.PredictionType => Config.PredictionType;

    /// <inheritdoc/>
    int IDiffusionScheduler.MaxInferenceSteps => Config.NumTrainTimesteps;

    /// <inheritdoc/>
    int IDiffusionScheduler.StepCount => NumInferenceSteps ?? 0;

    /// <inheritdoc/>
    bool IDiffusionScheduler.SupportsEta => true;

    /// <inheritdoc/>
    double IDiffusionScheduler.ModelTimestep(int stepIndex)
    {
        SchedulerChecks.RequireStepIndex(stepIndex, NumInferenceSteps ?? 0, "DDIMScheduler");
        return _timesteps[stepIndex];
    }

    /// <inheritdoc/>
    /// <remarks>diffusers' img2img rule (<see cref="Sampler.Img2ImgStartIndex"/>).</remarks>
    int IDiffusionScheduler.Img2ImgStartIndex(double strength) => Sampler.Img2ImgStartIndex(RequireSteps(), strength);

    /// <inheritdoc/>
    /// <remarks>DDIM's model input is the sample itself.</remarks>
    void IDiffusionScheduler.ScaleModelInput(Span<float> samples, int stepIndex) =>
        SchedulerChecks.RequireStepIndex(stepIndex, NumInferenceSteps ?? 0, "DDIMScheduler");

    /// <inheritdoc/>
    /// <remarks>
    /// <see cref="Step"/> once per sample, so that dynamic thresholding takes its quantile per sample as diffusers does.
    /// </remarks>
    void IDiffusionScheduler.Step(ReadOnlySpan<float> modelOutput, int stepIndex, Span<float> samples, int sampleLength, float eta, ReadOnlySpan<float> varianceNoise)
    {
        SchedulerChecks.RequireStepIndex(stepIndex, NumInferenceSteps ?? 0, "DDIMScheduler");
        SchedulerChecks.RequireStep(modelOutput, samples, sampleLength, 0f, "DDIMScheduler");
        if (!varianceNoise.IsEmpty)
        {
            SchedulerChecks.RequireSameLength(varianceNoise, nameof(varianceNoise), samples, nameof(samples));
        }

        int t = _timesteps[stepIndex];
        for (int start = 0; start < samples.Length; start += sampleLength)
        {
            Span<float> x = samples.Slice(start, sampleLength);
            ReadOnlySpan<float> z = varianceNoise.IsEmpty ? default : varianceNoise.Slice(start, sampleLength);
            Step(modelOutput.Slice(start, sampleLength), t, x, x, eta, false, z);
        }
    }

    /// <inheritdoc/>
    void IDiffusionScheduler.AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int stepIndex, Span<float> destination)
    {
        SchedulerChecks.RequireStepIndex(stepIndex, NumInferenceSteps ?? 0, "DDIMScheduler");
        AddNoise(original, noise, _timesteps[stepIndex], destination);
    }

    private void CheckPair(ReadOnlySpan<float> a, string aName, ReadOnlySpan<float> b, string bName, int timestep, Span<float> destination)
    {
        RequireTimestep(timestep, nameof(timestep));
        SchedulerChecks.RequireSameLength(b, bName, a, aName);
        SchedulerChecks.RequireSameLength(destination, nameof(destination), a, aName);
        SchedulerChecks.RequireInPlaceOrDisjoint(destination, nameof(destination), a, aName);
        SchedulerChecks.RequireInPlaceOrDisjoint(destination, nameof(destination), b, bName);
    }

    /// <summary>Imagen's dynamic threshold s = clamp(quantile(|x₀|, ratio), 1, SampleMaxValue) over the whole span.</summary>
    private double ThresholdOf(double ax, double am, ReadOnlySpan<float> sample, ReadOnlySpan<float> modelOutput)
    {
        int n = sample.Length;
        if (n == 0)
        {
            return 1.0;
        }

        Span<float> magnitudes = Scratch(ref _thresholdScratch, n);
        new DdimStepKernel { AX = (float)ax, AM = (float)am }.AbsolutePredictedOriginal(sample, modelOutput, magnitudes);
        magnitudes.Sort();

        // torch.quantile's default: linear interpolation between the order statistics around ratio·(n − 1).
        double position = Config.DynamicThresholdingRatio * (n - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, n - 1);
        double q = magnitudes[below] + ((position - below) * (magnitudes[above] - magnitudes[below]));

        // torch.clamp(q, min=1, max=m) yields m when m < 1; Math.Clamp would throw there.
        return Math.Min(Math.Max(q, 1.0), Config.SampleMaxValue);
    }

    private static Span<float> Scratch(ref float[] buffer, int length)
    {
        if (buffer.Length < length)
        {
            buffer = new float[length];
        }

        return buffer.AsSpan(0, length);
    }

    private int RequireSteps() => NumInferenceSteps ?? throw new InvalidOperationException(
        "The number of inference steps is not set: call DdimScheduler.SetTimesteps before Step.");

    private void RequireTimestep(int timestep, string name)
    {
        if ((uint)timestep >= (uint)Config.NumTrainTimesteps)
        {
            throw new ArgumentOutOfRangeException(name, timestep,
                $"{name} must lie in [0, {Config.NumTrainTimesteps - 1}]; it is {timestep}.");
        }
    }

    /// <summary>arXiv:2305.08891 Algorithm 1: shift and scale √ᾱ so that its last value is 0 and its first unchanged.</summary>
    private static void RescaleZeroTerminalSnr(double[] betas)
    {
        int t = betas.Length;
        var root = new double[t];
        double product = 1.0;
        for (int i = 0; i < t; i++)
        {
            product *= 1 - betas[i];
            root[i] = Math.Sqrt(product);
        }

        double first = root[0], last = root[t - 1];
        double previous = 1.0;
        for (int i = 0; i < t; i++)
        {
            double shifted = (root[i] - last) * first / (first - last);
            double alphaBar = shifted * shifted;
            betas[i] = 1 - (i == 0 ? alphaBar : alphaBar / previous);
            previous = alphaBar;
        }
    }
}
