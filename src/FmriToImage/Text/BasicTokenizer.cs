using System.Globalization;
using System.Text;

namespace FmriToImage.Text;

/// <summary>
/// The text clean-up and splitting of BERT's "basic tokenizer" as Hugging Face transformers implements it
/// (<c>BasicTokenizer</c> in tokenization_bert.py): drop NUL, U+FFFD and control characters, map whitespace to spaces,
/// put spaces around CJK ideographs, NFC-normalise, split on whitespace, optionally lower-case and strip accents
/// (NFD, drop Mn), optionally split off every punctuation character. CLIPTokenizer uses it (without punctuation
/// splitting or accent stripping) when ftfy is not installed; WordPiece uses it fully.
/// </summary>
internal sealed class BasicTokenizer(bool lowerCase, bool stripAccents, bool splitOnPunctuation)
{
    public List<string> Tokenize(string text)
    {
        var cleaned = new StringBuilder(text.Length + 8);
        foreach (Rune rune in text.EnumerateRunes())
        {
            int cp = rune.Value;
            if (cp == 0 || cp == 0xFFFD || IsControl(rune))
            {
                continue;
            }

            if (IsWhitespace(rune))
            {
                cleaned.Append(' ');
            }
            else if (IsCjk(cp))
            {
                cleaned.Append(' ').Append(rune.ToString()).Append(' ');
            }
            else
            {
                cleaned.Append(rune.ToString());
            }
        }

        string normalized = cleaned.ToString().Normalize(NormalizationForm.FormC);
        var output = new List<string>();
        foreach (string raw in SplitOnWhitespace(normalized))
        {
            string token = raw;
            if (lowerCase)
            {
                token = token.ToLowerInvariant();
            }

            if (stripAccents)
            {
                token = StripAccents(token);
            }

            if (splitOnPunctuation)
            {
                SplitPunctuation(token, output);
            }
            else if (token.Length > 0)
            {
                output.Add(token);
            }
        }

        return output;
    }

    /// <summary>Python's <c>str.split()</c>: runs of whitespace separate, empty pieces dropped.</summary>
    public static IEnumerable<string> SplitOnWhitespace(string text)
    {
        int start = -1;
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                if (start >= 0)
                {
                    yield return text[start..i];
                    start = -1;
                }
            }
            else if (start < 0)
            {
                start = i;
            }
        }

        if (start >= 0)
        {
            yield return text[start..];
        }
    }

    /// <summary>BERT's punctuation test: ASCII symbol ranges or any Unicode P* category.</summary>
    public static bool IsPunctuation(Rune rune)
    {
        int cp = rune.Value;
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126))
        {
            return true;
        }

        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    private static string StripAccents(string token)
    {
        string decomposed = token.Normalize(NormalizationForm.FormD);
        var sb = new StringBuilder(decomposed.Length);
        foreach (Rune rune in decomposed.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark)
            {
                sb.Append(rune.ToString());
            }
        }

        return sb.ToString();
    }

    private static void SplitPunctuation(string token, List<string> output)
    {
        var current = new StringBuilder();
        foreach (Rune rune in token.EnumerateRunes())
        {
            if (IsPunctuation(rune))
            {
                if (current.Length > 0)
                {
                    output.Add(current.ToString());
                    current.Clear();
                }

                output.Add(rune.ToString());
            }
            else
            {
                current.Append(rune.ToString());
            }
        }

        if (current.Length > 0)
        {
            output.Add(current.ToString());
        }
    }

    private static bool IsWhitespace(Rune rune) =>
        rune.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(rune) == UnicodeCategory.SpaceSeparator;

    private static bool IsControl(Rune rune)
    {
        if (rune.Value is '\t' or '\n' or '\r')
        {
            return false;
        }

        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.Surrogate or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned;
    }

    private static bool IsCjk(int cp) =>
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
        || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF)
        || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
}
