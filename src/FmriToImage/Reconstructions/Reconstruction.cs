using FmriToImage.Imaging;

namespace FmriToImage.Reconstructions;

/// <summary>The result of reconstructing one trial: the chosen image and everything that led to it.</summary>
public sealed record Reconstruction
{
    /// <summary>The pipeline that produced it.</summary>
    public required ReconstructionPipeline Pipeline { get; init; }

    /// <summary>The chosen final image.</summary>
    public required RgbImage Image { get; init; }

    /// <summary>The low-level image of each low-level voxel encoder, in manifest order (empty when none ran).</summary>
    public required IReadOnlyList<RgbImage> LowLevelImages { get; init; }

    /// <summary>The caption of each low-level image (caption → img2img), parallel to <see cref="LowLevelImages"/>; else empty.</summary>
    public required IReadOnlyList<string> Captions { get; init; }

    /// <summary>Every candidate with its score.</summary>
    public required IReadOnlyList<ReconstructionCandidate> Candidates { get; init; }

    /// <summary>The index of the chosen candidate in <see cref="Candidates"/>.</summary>
    public required int ChosenIndex { get; init; }

    /// <summary>The model whose candidate was chosen.</summary>
    public string ChosenModel => Candidates[ChosenIndex].Model;

    /// <summary>
    /// The low-level image the chosen image started from, or null when none ran: for caption → img2img the chosen
    /// candidate's model's; for unCLIP the single low-level image every sample started from
    /// (<see cref="ReconstructionCandidate.LowLevelImage"/> of the chosen candidate).
    /// </summary>
    public RgbImage? ChosenLowLevelImage => Candidates[ChosenIndex].LowLevelImage;

    /// <summary>Whether the bundle's diffusion prior produced the UNet's conditioning (unCLIP; see <see cref="ReconstructionRequest.UsePrior"/>).</summary>
    public required bool UsedPrior { get; init; }

    /// <summary>
    /// Wall time per stage (e.g. "voxel encoders", "prior", "captioning", "diffusion", "voting"), in execution order.
    /// Stages that <c>BrainDecoder.ReconstructAllAsync</c> runs for several trials at once (everything before
    /// "diffusion") record this trial's share: the batch's time divided by its trials.
    /// </summary>
    public required IReadOnlyList<KeyValuePair<string, TimeSpan>> Timings { get; init; }

    /// <summary>The settings actually used, defaults filled in from the bundle.</summary>
    public required ReconstructionRequest Request { get; init; }
}
