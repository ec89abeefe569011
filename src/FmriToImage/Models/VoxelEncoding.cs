namespace FmriToImage.Models;

/// <summary>What a voxel encoder predicted for a batch of trials; which members are set depends on its role.</summary>
/// <param name="Latent">Scaled VAE latents [batch, C, h, w] (role <c>vae_latent</c>), else null.</param>
/// <param name="ImageTokens">Image-encoder token states [batch, T, D] (role <c>image_tokens</c>), else null.</param>
/// <param name="ImageEmbedding">The retrieval embedding [batch, E] when the encoder has one, else null.</param>
internal sealed record VoxelEncoding(ShapedValues? Latent, ShapedValues? ImageTokens, ShapedValues? ImageEmbedding)
{
    /// <summary>UNet context tokens [batch, T, D] (role <c>conditioning_tokens</c>), else null.</summary>
    public ShapedValues? ConditioningTokens { get; init; }

    /// <summary>The context-to-time-embedding term [batch, E] when a <c>conditioning_tokens</c> encoder has one, else null.</summary>
    public ShapedValues? TimeEmbeddingTerm { get; init; }
}
