using System.Text;

namespace FmriToImage.Text;

/// <summary>
/// transformers' <c>clean_up_tokenization</c>: removes the space a word-level decoder leaves before punctuation and
/// English contractions (" ." " ?" " !" " ," " ' " " n't" " 'm" " 's" " 've" " 're").
/// </summary>
internal static class TokenizationCleanup
{
    public static string Apply(string text)
    {
        var sb = new StringBuilder(text);
        sb.Replace(" .", ".").Replace(" ?", "?").Replace(" !", "!").Replace(" ,", ",").Replace(" ' ", "'")
            .Replace(" n't", "n't").Replace(" 'm", "'m").Replace(" 's", "'s").Replace(" 've", "'ve").Replace(" 're", "'re");
        return sb.ToString();
    }
}
