namespace FmriToImage.Models;

/// <summary>What an image encoder produced for a batch of images.</summary>
/// <param name="Embeddings">The projected image embedding [batch, E] (<c>image_embeds</c>), or null when the graph has none.</param>
/// <param name="Tokens">The token states [batch, T, D] (<c>last_hidden_state</c>), or null when the graph has none.</param>
internal sealed record ImageEncoding(ShapedValues? Embeddings, ShapedValues? Tokens);
