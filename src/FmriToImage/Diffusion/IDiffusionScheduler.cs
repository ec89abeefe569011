namespace FmriToImage.Diffusion;

/// <summary>
/// What the <see cref="Sampler"/> drives: a diffusion scheduler with diffusers' calling convention, indexed by the
/// position in the run (the step index) rather than by the timestep value. Implemented by <see cref="DdimScheduler"/>,
/// <see cref="EulerDiscreteScheduler"/>, <see cref="EdmEulerScheduler"/>, <see cref="SgmEulerEdmScheduler"/> and
/// <see cref="PndmScheduler"/>; <see cref="DiffusionSchedulers.FromJson"/> picks one by a config's <c>_class_name</c>.
/// </summary>
/// <remarks>
/// A run is: <see cref="SetTimesteps"/>; start from noise × <see cref="InitNoiseSigma"/> (or
/// <see cref="AddNoise"/> at <see cref="Img2ImgStartIndex"/>); then for every step index i from the start to
/// <see cref="StepCount"/> − 1: copy the sample, <see cref="ScaleModelInput"/> the copy, call the network at
/// <see cref="ModelTimestep"/>(i), then <see cref="Step"/> the sample in place. Implementations hold per-run state
/// (PNDM's history), so one instance serves one loop at a time.
/// </remarks>
public interface IDiffusionScheduler
{
    /// <summary>The diffusers class name this scheduler reproduces (the <c>_class_name</c> that selects it).</summary>
    string ClassName { get; }

    /// <summary>What the network predicts.</summary>
    PredictionType PredictionType { get; }

    /// <summary>The largest step count <see cref="SetTimesteps"/> accepts.</summary>
    int MaxInferenceSteps { get; }

    /// <summary>The number of steps of the last <see cref="SetTimesteps"/> call, or null before the first.</summary>
    int? NumInferenceSteps { get; }

    /// <summary>Network evaluations of a whole run after <see cref="SetTimesteps"/> (n for most schedulers; PNDM runs more); 0 before.</summary>
    int StepCount { get; }

    /// <summary>The standard deviation of the initial noise of a text-to-image run (valid after <see cref="SetTimesteps"/>).</summary>
    double InitNoiseSigma { get; }

    /// <summary>Whether <see cref="Step"/> takes η &gt; 0 (DDIM only); the others refuse it.</summary>
    bool SupportsEta { get; }

    /// <summary>Chooses the timesteps (and noise levels) of an n-step run and resets per-run state.</summary>
    /// <param name="numInferenceSteps">n, 1 … <see cref="MaxInferenceSteps"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">n is outside the accepted range; the message names the limits.</exception>
    void SetTimesteps(int numInferenceSteps);

    /// <summary>The timestep value the network receives at step <paramref name="stepIndex"/> (fractional for Karras and EDM schedules).</summary>
    /// <param name="stepIndex">0 … <see cref="StepCount"/> − 1.</param>
    /// <returns>The timestep.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The index is out of range.</exception>
    double ModelTimestep(int stepIndex);

    /// <summary>The step index where img2img with <paramref name="strength"/> starts (see each scheduler for its rule).</summary>
    /// <param name="strength">In [0, 1].</param>
    /// <returns>In [0, <see cref="StepCount"/>]; the loop runs the steps from there to the end.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The strength is outside [0, 1].</exception>
    /// <exception cref="InvalidOperationException"><see cref="SetTimesteps"/> has not been called.</exception>
    int Img2ImgStartIndex(double strength);

    /// <summary>Scales a copy of the samples into the network's input, in place (identity for DDIM and PNDM).</summary>
    /// <param name="samples">Any number of samples laid out one after another.</param>
    /// <param name="stepIndex">The step index.</param>
    void ScaleModelInput(Span<float> samples, int stepIndex);

    /// <summary>One step from step index <paramref name="stepIndex"/> to the next, in place, allocation-free after the first call of a run.</summary>
    /// <param name="modelOutput">The (guided) network output, same length as <paramref name="samples"/>.</param>
    /// <param name="stepIndex">The step index.</param>
    /// <param name="samples">The batch of samples, overwritten with the next ones.</param>
    /// <param name="sampleLength">Floats per sample (DDIM thresholds per sample); must divide the length.</param>
    /// <param name="eta">η ≥ 0; must be 0 unless <see cref="SupportsEta"/>.</param>
    /// <param name="varianceNoise">Standard normal noise for η &gt; 0, same length as the samples, or empty.</param>
    void Step(ReadOnlySpan<float> modelOutput, int stepIndex, Span<float> samples, int sampleLength, float eta = 0f, ReadOnlySpan<float> varianceNoise = default);

    /// <summary>Noises clean samples to the noise level of step <paramref name="stepIndex"/> (img2img's start).</summary>
    /// <param name="original">x₀.</param>
    /// <param name="noise">ε, standard normal, same length.</param>
    /// <param name="stepIndex">The step index.</param>
    /// <param name="destination">Receives the noised samples; may be exactly one of the inputs.</param>
    void AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int stepIndex, Span<float> destination);
}
