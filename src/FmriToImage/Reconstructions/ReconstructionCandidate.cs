using FmriToImage.Imaging;

namespace FmriToImage.Reconstructions;

/// <summary>One final image a pipeline produced and the score it was chosen by.</summary>
/// <param name="Model">The voxel encoder that produced it (its manifest name).</param>
/// <param name="Sample">The sample index for that model.</param>
/// <param name="Image">The final image.</param>
/// <param name="Score">
/// Caption → img2img: cosine similarity between the image embeddings of this image and of its model's low-level image;
/// unCLIP: cosine similarity between this image's embedding and the brain's predicted embedding. Higher wins.
/// </param>
/// <param name="Caption">The caption that conditioned it (caption → img2img), else null.</param>
/// <param name="LowLevelImage">
/// The low-level image it started from (caption → img2img: its model's; unCLIP: the trial's, when a low-level encoder
/// ran), else null.
/// </param>
public sealed record ReconstructionCandidate(string Model, int Sample, RgbImage Image, float Score, string? Caption, RgbImage? LowLevelImage = null);
