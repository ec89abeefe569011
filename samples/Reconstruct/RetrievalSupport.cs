namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// Whether the bundle can compute the job's retrieval metrics, decided from its graphs before any trial runs: an image
/// encoder, an <c>image_tokens</c> voxel encoder with an <c>image_embedding</c> output, and the two embeddings of one
/// width where the graphs fix it. The job skips retrieval with this reason instead of failing after the whole run.
/// </summary>
internal static class RetrievalSupport
{
    /// <summary>Why retrieval cannot be computed with <paramref name="decoder"/>'s bundle, or null when it can.</summary>
    public static string? WhyUnavailable(BrainDecoder decoder) => decoder.RetrievalUnavailableReason;
}
