using FmriToImage.Bundle;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// Whether the bundle can compute the job's retrieval metrics, decided from its graphs before any trial runs: an image
/// encoder, an <c>image_tokens</c> voxel encoder with an <c>image_embedding</c> output, and the two embeddings of one
/// width where the graphs fix it. The job skips retrieval with this reason instead of failing after the whole run.
/// </summary>
internal static class RetrievalSupport
{
    /// <summary>Why retrieval cannot be computed with <paramref name="decoder"/>'s bundle, or null when it can.</summary>
    public static string? WhyUnavailable(BrainDecoder decoder)
    {
        var bundle = decoder.Bundle;
        if (bundle.ImageEncoder is not { } imageEncoder)
        {
            return "the bundle has no image encoder";
        }

        if (bundle.VoxelEncoders.FirstOrDefault(v => v.Entry.Role == VoxelEncoderRole.ImageTokens) is not { } brain)
        {
            return "the bundle has no voxel encoder with role 'image_tokens'";
        }

        if (!brain.Component.OutputMetadata.TryGetValue("image_embedding", out var brainEmbedding))
        {
            return $"{brain.Component} has no 'image_embedding' output";
        }

        var imageWidth = imageEncoder.OutputMetadata.TryGetValue("image_embeds", out var imageEmbeds) ? imageEmbeds.Dimensions[^1] : (int?)null;
        var brainWidth = brainEmbedding.Dimensions[^1];
        return imageWidth is > 0 && brainWidth > 0 && imageWidth != brainWidth
            ? $"{brain.Component}'s image_embedding has {brainWidth} values, the image encoder's image_embeds {imageWidth}: they are not one space"
            : null;
    }
}
