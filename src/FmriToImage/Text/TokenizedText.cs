namespace FmriToImage.Text;

/// <summary>The result of encoding one text to a fixed context length.</summary>
/// <param name="Ids">Token ids, exactly the context length long, padded with the pad id.</param>
/// <param name="AttentionMask">1 for real tokens (including start/end tokens), 0 for padding; same length as <paramref name="Ids"/>.</param>
/// <param name="Length">Number of real tokens, start and end tokens included.</param>
/// <param name="Truncated">Whether tokens were dropped to fit the context length.</param>
internal sealed record TokenizedText(int[] Ids, int[] AttentionMask, int Length, bool Truncated);
