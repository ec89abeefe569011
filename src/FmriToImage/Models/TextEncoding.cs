namespace FmriToImage.Models;

/// <summary>What a text encoder produced for a batch of texts.</summary>
/// <param name="HiddenStates">Token states [batch, L, D] — the UNet's cross-attention conditioning.</param>
/// <param name="Embeddings">The pooled/projected text embedding [batch, E] when the graph has one (<c>text_embeds</c> or <c>pooler_output</c>), else null.</param>
internal sealed record TextEncoding(ShapedValues HiddenStates, ShapedValues? Embeddings);
