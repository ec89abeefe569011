using FmriToImage.Imaging;

namespace FmriToImage.Pipelines;

/// <summary>A batch's brain side (<see cref="UnclipStage.EncodeBrain"/>).</summary>
/// <param name="Model">The high-level encoder's name, for messages.</param>
/// <param name="Tokens">trials × T × D image tokens (after the prior when it ran).</param>
/// <param name="TokenCount">T.</param>
/// <param name="TokenWidth">D.</param>
/// <param name="Targets">trials × E predicted image embeddings.</param>
/// <param name="LowLatents">trials low-level latents, or null when none were asked for or the bundle has no low-level encoder.</param>
/// <param name="LowImages">The low-level latents decoded (empty without them).</param>
internal sealed record BrainSide(string Model, float[] Tokens, int TokenCount, int TokenWidth, float[] Targets, float[]? LowLatents, RgbImage[] LowImages);
