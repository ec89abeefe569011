using FmriToImage.Reconstructions;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>What is stored per trial in out/trials/&lt;key&gt;.json, so a rerun (<c>--resume</c>) or another shard can skip it.</summary>
/// <param name="Key">The trial's output name (nsd-&lt;nsdId&gt; or row-&lt;row&gt;).</param>
/// <param name="Label">How the report names the trial.</param>
/// <param name="Pipeline">The pipeline that ran.</param>
/// <param name="ChosenIndex">The chosen candidate's index in <paramref name="Candidates"/>.</param>
/// <param name="Candidates">Every candidate (its image is trials/&lt;key&gt;_candidate&lt;i&gt;.png).</param>
/// <param name="Captions">The low-level images' captions (caption → img2img), else empty.</param>
/// <param name="Seconds">Wall time of the reconstruction (its share of a batch's encoder stages included).</param>
/// <param name="Run">The bundle and request that made it (--resume refuses other ones); null in records of older versions.</param>
/// <param name="Settings">The settings actually used, the bundle's defaults filled in.</param>
/// <param name="Stages">Wall time per stage as the pipeline named it, in execution order; null in records of older versions.</param>
internal sealed record TrialResult(string Key, string Label, string Pipeline, int ChosenIndex, TrialResult.Candidate[] Candidates, string[] Captions, double Seconds, RunIdentity? Run, ReconstructionRequest? Settings, TrialResult.Stage[]? Stages = null)
{
    /// <summary>The chosen candidate's model.</summary>
    public string ChosenModel => Candidates[ChosenIndex].Model;

    /// <summary>The chosen candidate's voting score.</summary>
    public float ChosenScore => Candidates[ChosenIndex].Score;

    /// <summary>One final image the pipeline produced, without its pixels.</summary>
    /// <param name="Model">The voxel encoder that produced it.</param>
    /// <param name="Sample">The sample index for that model.</param>
    /// <param name="Score">The score it was chosen by (higher wins).</param>
    /// <param name="Caption">The caption that conditioned it, or null.</param>
    internal sealed record Candidate(string Model, int Sample, float Score, string? Caption);

    /// <summary>One stage's wall time in a trial (<c>Reconstruction.Timings</c>).</summary>
    /// <param name="Name">The stage as the pipeline names it.</param>
    /// <param name="Milliseconds">Its wall time, ms.</param>
    internal sealed record Stage(string Name, double Milliseconds);
}
