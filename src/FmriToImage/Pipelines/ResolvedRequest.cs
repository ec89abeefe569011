using FmriToImage.Bundle;
using FmriToImage.Reconstructions;

namespace FmriToImage.Pipelines;

/// <summary>
/// A <see cref="ReconstructionRequest"/> with every default filled in from the bundle and checked before any network
/// runs: no field is null, and the pipeline's row says what it needs.
/// </summary>
internal sealed record ResolvedRequest
{
    /// <summary>The pipeline's row of the table.</summary>
    public required PipelineRequirement Row { get; init; }

    /// <summary>The pipeline.</summary>
    public ReconstructionPipeline Pipeline => Row.Pipeline;

    /// <summary>The UNet's scheduler for this pipeline: the bundle's, or the pipeline's override (<c>pipelines.&lt;key&gt;.scheduler</c>); null for a pipeline without a diffusion loop.</summary>
    public required BundleScheduler? Scheduler { get; init; }

    /// <summary>DDIM steps.</summary>
    public required int Steps { get; init; }

    /// <summary>img2img strength in [0, 1].</summary>
    public required double Strength { get; init; }

    /// <summary>Guidance scale.</summary>
    public required double Guidance { get; init; }

    /// <summary>Samples per model (caption → img2img) or per trial (unCLIP).</summary>
    public required int Samples { get; init; }

    /// <summary>The noise seed.</summary>
    public required ulong Seed { get; init; }

    /// <summary>DDIM η.</summary>
    public required float Eta { get; init; }

    /// <summary>Whether the diffusion prior runs.</summary>
    public required bool UsePrior { get; init; }

    /// <summary>The prior's DDIM steps (meaningful when <see cref="UsePrior"/>).</summary>
    public int PriorSteps { get; init; }

    /// <summary>The prior's DDIM η (meaningful when <see cref="UsePrior"/>).</summary>
    public float PriorEta { get; init; }

    /// <summary>The subject decoded: format 1's subject, or a subject format 2 lists.</summary>
    public required string Subject { get; init; }

    /// <summary>How repeats of one image are combined.</summary>
    public required RepetitionAveraging Repetition { get; init; }

    /// <summary>
    /// Rows per trial the voxel encoders get (set per batch by the decoder): &gt; 1 only with
    /// <see cref="RepetitionAveraging.Outputs"/>, where each trial's repeats are encoded separately and averaged.
    /// </summary>
    public int Repeats { get; init; } = 1;

    /// <summary>
    /// Fills <paramref name="request"/>'s defaults from the bundle (<c>fmri_decoder.json</c> → <c>pipelines</c>) and
    /// checks every setting against the schedulers, before any network runs.
    /// </summary>
    /// <exception cref="BundleComponentMissingException">The bundle lacks what the pipeline (or the prior asked for) needs.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range (every one named).</exception>
    /// <exception cref="ArgumentException">A setting does not apply to the pipeline.</exception>
    public static ResolvedRequest Resolve(ReconstructionRequest? request, DecoderComponents components)
    {
        request ??= new ReconstructionRequest();
        var row = components.Table.Find(request.Pipeline)
            ?? throw new ArgumentOutOfRangeException(nameof(request), request.Pipeline, $"ReconstructionRequest.Pipeline is {request.Pipeline}, not a pipeline this decoder runs; it runs {string.Join(", ", components.Table.Names)}.");
        if (components.MissingFor(row) is { } missing)
        {
            throw new BundleComponentMissingException(components.Bundle.RootPath, missing, [row.Name]);
        }

        var subject = ResolveSubject(request.Subject, components);
        var defaults = components.DefaultsFor(row);
        var resolved = new ResolvedRequest
        {
            Row = row,
            Scheduler = !row.UsesDiffusion ? null
                : components.SchedulerFor(row) ?? throw new BundleComponentMissingException(components.Bundle.RootPath, ModelBundle.SchedulerConfigPath, [row.Name]),
            Steps = request.Steps ?? defaults.Steps,
            Strength = request.Strength ?? defaults.Strength,
            Guidance = request.Guidance ?? defaults.Guidance,
            Samples = request.Samples ?? defaults.Samples,
            Seed = request.Seed,
            Eta = request.Eta,
            UsePrior = false,
            Subject = subject,
            Repetition = request.RepetitionAveraging ?? components.RepetitionDefault,
        };
        if (row.SamplesFromNoise && request.Strength is not null)
        {
            throw new ArgumentException($"ReconstructionRequest.Strength does not apply to {row.Name}: it always samples from noise (leave it null).", nameof(request));
        }

        if (!row.UsesDiffusion)
        {
            var set = new[] { ("Steps", request.Steps is not null), ("Strength", request.Strength is not null), ("Guidance", request.Guidance is not null) }.Where(s => s.Item2).Select(s => $"ReconstructionRequest.{s.Item1}").ToArray();
            if (set.Length > 0)
            {
                throw new ArgumentException($"{string.Join(", ", set)} {(set.Length == 1 ? "does" : "do")} not apply to {row.Name}: it runs no diffusion loop (leave {(set.Length == 1 ? "it" : "them")} null).", nameof(request));
            }

            ArgumentOutOfRangeException.ThrowIfLessThan(resolved.Samples, 1, "ReconstructionRequest.Samples");
        }
        else
        {
            var settings = DiffusionSettings.Check(resolved.Scheduler!, components.SchedulerSource(row), resolved.Steps, resolved.Strength, resolved.Guidance, resolved.Samples, request.Eta);
            if (settings.Count > 0)
            {
                throw new ArgumentOutOfRangeException(nameof(request), settings[0].Actual, string.Join(" ", settings.Select(DiffusionSettings.DescribeRequest)));
            }
        }

        if (!row.UsesPrior)
        {
            if (request.UsePrior == true)
            {
                throw new ArgumentException($"UsePrior applies only to pipelines with a prior ({string.Join(", ", components.Table.Rows.Where(r => r.UsesPrior).Select(r => r.Name))}); {row.Name} has none.", nameof(request));
            }

            return resolved;
        }

        if (!(request.UsePrior ?? components.HasPrior))
        {
            return resolved;
        }

        if (!components.HasPrior)
        {
            throw new BundleComponentMissingException(components.Bundle.RootPath, BundleLayout.PathOf(BundleComponentKind.Prior), [$"{row.Name} with UsePrior = true"]);
        }

        var steps = request.PriorSteps ?? defaults.PriorSteps;
        var eta = request.PriorEta ?? (float)defaults.PriorEta;
        var prior = DiffusionSettings.CheckPrior(components.PriorSchedulerConfig!, ModelBundle.PriorSchedulerConfigPath, steps, eta);
        if (prior.Count > 0)
        {
            throw new ArgumentOutOfRangeException(nameof(request), prior[0].Actual, string.Join(" ", prior.Select(DiffusionSettings.DescribeRequest)));
        }

        return resolved with { UsePrior = true, PriorSteps = steps, PriorEta = eta };
    }

    /// <summary>
    /// The subject a request decodes: format 1 — null or the manifest's subject; format 2 — one the manifest lists, or
    /// null when it lists exactly one.
    /// </summary>
    /// <exception cref="ArgumentException">The subject is not the bundle's, or a format 2 bundle of several subjects was given none (the message lists them).</exception>
    public static string ResolveSubject(string? subject, DecoderComponents components)
    {
        var manifest = components.Bundle.Decoder!;
        if (!manifest.IsShared)
        {
            return subject is null || string.Equals(subject, manifest.Subject, StringComparison.Ordinal)
                ? manifest.Subject!
                : throw new ArgumentException($"ReconstructionRequest.Subject is \"{subject}\", but bundle '{components.Bundle.RootPath}' decodes only {manifest.Subject}.", "request");
        }

        var listed = string.Join(", ", manifest.Subjects.Keys);
        if (subject is null)
        {
            return manifest.Subjects.Count == 1
                ? manifest.Subjects.Keys.First()
                : throw new ArgumentException($"ReconstructionRequest.Subject is required: bundle '{components.Bundle.RootPath}' decodes several subjects ({listed}).", "request");
        }

        return manifest.Subjects.ContainsKey(subject)
            ? subject
            : throw new ArgumentException($"ReconstructionRequest.Subject is \"{subject}\", which bundle '{components.Bundle.RootPath}' does not list; its subjects: {listed}.", "request");
    }

    /// <summary>The public record of what was run (<see cref="Reconstruction.Request"/>): prior settings null when no prior ran; steps, strength and guidance null for a pipeline without a diffusion loop.</summary>
    public ReconstructionRequest ToRequest() => new()
    {
        Pipeline = Pipeline,
        Steps = Row.UsesDiffusion ? Steps : null,
        Strength = Row.UsesDiffusion ? Strength : null,
        Guidance = Row.UsesDiffusion ? Guidance : null,
        Samples = Samples,
        Seed = Seed,
        Eta = Eta,
        UsePrior = UsePrior,
        PriorSteps = UsePrior ? PriorSteps : null,
        PriorEta = UsePrior ? PriorEta : null,
        Subject = Subject,
        RepetitionAveraging = Repetition,
    };
}
