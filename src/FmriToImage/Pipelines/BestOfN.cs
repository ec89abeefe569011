using FmriToImage.Imaging;
using FmriToImage.Reconstructions;

namespace FmriToImage.Pipelines;

/// <summary>
/// One trial's best-of-N draw from one voxel encoder: the N candidate images, each one's score against the brain's
/// prediction, and the chosen one — what the unCLIP, MindEye2, Conditioned and ClipGenerator pipelines each complete a
/// trial with, turned into the trial's <see cref="Reconstruction"/> by <see cref="ToReconstruction"/>.
/// </summary>
/// <param name="Model">The voxel encoder's manifest name (every candidate's model).</param>
/// <param name="Candidates">The N candidate images, in sample order.</param>
/// <param name="Scores">The N scores (zeros where nothing was scored).</param>
/// <param name="Chosen">The chosen candidate's index.</param>
internal sealed record BestOfN(string Model, RgbImage[] Candidates, float[] Scores, int Chosen)
{
    /// <summary>
    /// The trial's reconstruction: <paramref name="image"/> (the chosen candidate when null; a later stage's image
    /// otherwise) with every candidate, the caption and the low-level image each candidate came with, and the trial's
    /// timings.
    /// </summary>
    /// <param name="request">The request the trial ran with.</param>
    /// <param name="clock">The trial's clock (its timings).</param>
    /// <param name="usedPrior">Whether the diffusion prior ran.</param>
    /// <param name="lowLevel">The trial's low-level image, or null.</param>
    /// <param name="caption">The caption of the trial's candidates, or null.</param>
    /// <param name="image">The final image when a stage after the selection made it, else null.</param>
    public Reconstruction ToReconstruction(ResolvedRequest request, StageClock clock, bool usedPrior, RgbImage? lowLevel = null, string? caption = null, RgbImage? image = null) => new()
    {
        Pipeline = request.Pipeline,
        Image = image ?? Candidates[Chosen],
        LowLevelImages = lowLevel is null ? [] : [lowLevel],
        Captions = caption is null ? [] : [caption],
        Candidates = Enumerable.Range(0, Candidates.Length).Select(s => new ReconstructionCandidate(Model, s, Candidates[s], Scores[s], caption, lowLevel)).ToArray(),
        ChosenIndex = Chosen,
        UsedPrior = usedPrior,
        Timings = clock.Timings,
        Request = request.ToRequest(),
    };
}
