namespace FmriToImage.Diffusion;

/// <summary>The argument checks the schedulers share: configuration ranges, step counts and indices, span lengths and overlaps.</summary>
internal static class SchedulerChecks
{
    /// <summary>
    /// The most training timesteps the Euler, EDM, sgm Euler-EDM and PNDM schedulers accept (models use 1000): a
    /// hostile config cannot make them allocate or search tables of billions of entries.
    /// </summary>
    public const int MaxTrainTimesteps = 10_000;

    public static void RequireTrainTimesteps(int t, int minimum, int maximum = MaxTrainTimesteps)
    {
        if (t < minimum || t > maximum)
        {
            throw new ArgumentOutOfRangeException("config", t, t < minimum
                ? $"NumTrainTimesteps must be at least {minimum}; it is {t}."
                : $"NumTrainTimesteps must be at most {maximum}; it is {t}.");
        }
    }

    public static void RequireStepsOffset(int offset)
    {
        if (offset < 0)
        {
            throw new ArgumentOutOfRangeException("config", offset, $"StepsOffset must be at least 0; it is {offset}.");
        }
    }

    public static void RequireEpsilonOrV(PredictionType type, string scheduler)
    {
        if (type is not (PredictionType.Epsilon or PredictionType.VPrediction))
        {
            throw new NotSupportedException($"prediction_type {type} is not supported by the {scheduler} scheduler; expected epsilon or v_prediction.");
        }
    }

    /// <summary>SetTimesteps' range: 1 … <paramref name="maximum"/> (num_train_timesteps).</summary>
    public static void RequireStepCount(int numInferenceSteps, int maximum)
    {
        if (numInferenceSteps < 1 || numInferenceSteps > maximum)
        {
            throw new ArgumentOutOfRangeException(nameof(numInferenceSteps), numInferenceSteps,
                $"numInferenceSteps must lie in [1, {maximum}] (1 up to num_train_timesteps = {maximum}); it is {numInferenceSteps}.");
        }
    }

    /// <summary>diffusers' img2img rule (<see cref="Sampler.Img2ImgStartIndex"/>) for a scheduler whose steps are set.</summary>
    public static int DiffusersImg2ImgStart(int? numInferenceSteps, double strength, string scheduler) => Sampler.Img2ImgStartIndex(
        numInferenceSteps ?? throw new InvalidOperationException($"{scheduler}: call SetTimesteps first."), strength);

    public static void RequireSameLength(ReadOnlySpan<float> a, string aName, ReadOnlySpan<float> b, string bName)
    {
        if (a.Length != b.Length)
        {
            throw new ArgumentException(
                $"{aName} has {a.Length} elements but {bName} has {b.Length}; they must be the same length.", aName);
        }
    }

    public static void RequireInPlaceOrDisjoint(ReadOnlySpan<float> destination, string destinationName, ReadOnlySpan<float> input, string inputName)
    {
        if (destination.Overlaps(input, out int offset) && offset != 0)
        {
            throw new ArgumentException(
                $"{destinationName} partly overlaps {inputName} (offset {offset} elements); it must be the same memory or disjoint.", destinationName);
        }
    }

    public static void RequireStepIndex(int stepIndex, int stepCount, string scheduler)
    {
        if ((uint)stepIndex >= (uint)stepCount)
        {
            throw new ArgumentOutOfRangeException(nameof(stepIndex), stepIndex, stepCount == 0
                ? $"{scheduler}: call SetTimesteps before stepping."
                : $"{scheduler}: stepIndex must lie in [0, {stepCount - 1}]; it is {stepIndex}.");
        }
    }

    /// <summary>Checks a step's spans (same length, in place or disjoint) and refuses η &gt; 0 for schedulers without it.</summary>
    public static void RequireStep(ReadOnlySpan<float> modelOutput, Span<float> samples, int sampleLength, float eta, string scheduler)
    {
        RequireSameLength(modelOutput, nameof(modelOutput), samples, nameof(samples));
        RequireInPlaceOrDisjoint(samples, nameof(samples), modelOutput, nameof(modelOutput));
        if (sampleLength < 1 || samples.Length % sampleLength != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(sampleLength), sampleLength,
                $"sampleLength must be at least 1 and divide the {samples.Length} samples' floats; it is {sampleLength}.");
        }

        if (eta != 0f)
        {
            throw new ArgumentOutOfRangeException(nameof(eta), eta, $"{scheduler} has no eta; it must be 0.");
        }
    }

    public static void RequirePair(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, Span<float> destination)
    {
        RequireSameLength(noise, nameof(noise), original, nameof(original));
        RequireSameLength(destination, nameof(destination), original, nameof(original));
        RequireInPlaceOrDisjoint(destination, nameof(destination), original, nameof(original));
        RequireInPlaceOrDisjoint(destination, nameof(destination), noise, nameof(noise));
    }
}
