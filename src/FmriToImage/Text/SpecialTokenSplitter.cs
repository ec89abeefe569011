namespace FmriToImage.Text;

/// <summary>
/// Cuts text at exact occurrences of special/added tokens before normal tokenization (transformers' added-token
/// trie): scanning left to right, the longest token starting at a position wins.
/// </summary>
internal static class SpecialTokenSplitter
{
    /// <param name="text">The input text.</param>
    /// <param name="tokens">The tokens to cut out, sorted longest first.</param>
    public static IEnumerable<(string Segment, bool IsSpecial)> Split(string text, IReadOnlyList<string> tokens)
    {
        int start = 0;
        int scan = 0;
        while (scan < text.Length)
        {
            string? hit = null;
            foreach (string token in tokens)
            {
                if (scan + token.Length <= text.Length && string.CompareOrdinal(text, scan, token, 0, token.Length) == 0)
                {
                    hit = token;
                    break;
                }
            }

            if (hit is null)
            {
                scan++;
                continue;
            }

            if (scan > start)
            {
                yield return (text[start..scan], false);
            }

            yield return (hit, true);
            scan += hit.Length;
            start = scan;
        }

        if (start < text.Length)
        {
            yield return (text[start..], false);
        }
    }
}
