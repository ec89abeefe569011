using System.Globalization;
using FmriToImage.Diffusion;
using FmriToImage.Reconstructions;

namespace FmriToImage.Pipelines;

/// <summary>
/// The range check of a pipeline's diffusion settings (steps, strength, guidance, samples, η) against the bundle's
/// scheduler, shared by the load-time check of the manifest defaults and the per-request check, so both reject the
/// same values before any network runs.
/// </summary>
internal static class DiffusionSettings
{
    /// <summary>One setting out of range: its name, its value, and what it must be.</summary>
    public readonly record struct Problem(string Setting, object Actual, string Expected);

    /// <summary>Every setting out of range, in a fixed order; empty when all are usable.</summary>
    /// <param name="scheduler">The scheduler the steps run on (any class the bundle's config names).</param>
    /// <param name="schedulerPath">The config's path in the bundle, for the messages.</param>
    /// <param name="steps">Inference steps.</param>
    /// <param name="strength">img2img strength.</param>
    /// <param name="guidance">Guidance scale.</param>
    /// <param name="samples">Samples per model or trial.</param>
    /// <param name="eta">DDIM η (must be 0 with the other schedulers).</param>
    public static List<Problem> Check(BundleScheduler scheduler, string schedulerPath, int steps, double strength, double guidance, int samples, double eta)
    {
        var problems = new List<Problem>();
        var trainSteps = scheduler.MaxInferenceSteps;
        if (steps < 1 || steps > trainSteps)
        {
            problems.Add(new("steps", steps, $"lie in [1, {trainSteps}] (num_train_timesteps of {schedulerPath})"));
        }
        else
        {
            try
            {
                // Leading spacing with a steps offset refuses some counts below T (PNDM with its Runge-Kutta start
                // fewer than 4); the scheduler says which.
                scheduler.Create().SetTimesteps(steps);
            }
            catch (ArgumentOutOfRangeException e)
            {
                problems.Add(new("steps", steps, $"be a count the scheduler of {schedulerPath} accepts ({FirstLine(e.Message)})"));
            }
        }

        if (!(strength is >= 0 and <= 1))
        {
            problems.Add(new("strength", strength, "lie in [0, 1]"));
        }

        if (!double.IsFinite(guidance))
        {
            problems.Add(new("guidance", guidance, "be a finite number"));
        }

        if (samples < 1)
        {
            problems.Add(new("samples", samples, "be at least 1"));
        }

        if (!double.IsFinite(eta) || eta < 0)
        {
            problems.Add(new("eta", eta, "be a finite number ≥ 0"));
        }
        else if (eta > 0 && !scheduler.SupportsEta)
        {
            problems.Add(new("eta", eta, $"be 0 with the {scheduler.ClassName} of {schedulerPath} (only DDIMScheduler has eta)"));
        }

        return problems;
    }

    /// <summary>The diffusion prior's settings out of range (unCLIP with a prior), in a fixed order; empty when both are usable.</summary>
    /// <param name="scheduler">The prior's scheduler config, or null when the bundle has none (then the steps are not checked).</param>
    /// <param name="schedulerPath">The config's path in the bundle, for the messages.</param>
    /// <param name="steps">The prior's DDIM steps.</param>
    /// <param name="eta">The prior's DDIM η.</param>
    public static List<Problem> CheckPrior(DdimSchedulerConfig? scheduler, string schedulerPath, int steps, double eta)
    {
        var problems = new List<Problem>();
        if (scheduler is not null && (steps < 1 || steps > scheduler.NumTrainTimesteps))
        {
            problems.Add(new("prior_steps", steps, $"lie in [1, {scheduler.NumTrainTimesteps}] (num_train_timesteps of {schedulerPath})"));
        }

        if (!double.IsFinite(eta) || eta < 0)
        {
            problems.Add(new("prior_eta", eta, "be a finite number ≥ 0"));
        }

        return problems;
    }

    /// <summary>The problem as a sentence about <paramref name="owner"/> (e.g. "fmri_decoder.json: pipelines.unclip.").</summary>
    public static string Describe(Problem problem, string owner) =>
        string.Create(CultureInfo.InvariantCulture, $"{owner}{problem.Setting} is {problem.Actual}; it must {problem.Expected}.");

    /// <summary>
    /// The problem as a sentence about the <see cref="ReconstructionRequest"/> property, the manifest's snake_case name in
    /// PascalCase (e.g. "ReconstructionRequest.Steps is 5000; …", "ReconstructionRequest.PriorSteps is 101; …").
    /// </summary>
    public static string DescribeRequest(Problem problem) =>
        Describe(problem with { Setting = string.Concat(problem.Setting.Split('_').Select(w => char.ToUpperInvariant(w[0]) + w[1..])) }, $"{nameof(ReconstructionRequest)}.");

    private static string FirstLine(string message)
    {
        var end = message.IndexOf('\n', StringComparison.Ordinal);
        return (end < 0 ? message : message[..end]).TrimEnd('\r', '.');
    }
}
