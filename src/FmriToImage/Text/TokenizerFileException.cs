namespace FmriToImage.Text;

/// <summary>
/// A tokenizer file (<c>vocab.json</c>, <c>merges.txt</c>, <c>vocab.txt</c>, <c>tokenizer_config.json</c>,
/// <c>special_tokens_map.json</c>, <c>added_tokens.json</c>) is missing or malformed.
/// </summary>
internal sealed class TokenizerFileException : MalformedFileException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="file">The file concerned.</param>
    /// <param name="line">1-based line of the problem, or <c>null</c> when it concerns the whole file.</param>
    /// <param name="detail">What was expected and what was found.</param>
    /// <param name="innerException">An underlying cause.</param>
    public TokenizerFileException(string file, int? line, string detail, Exception? innerException = null)
        : base(file, null, $"Tokenizer file {file}{(line is null ? "" : $", line {line}")}: {detail}", innerException)
    {
        Line = line;
    }

    /// <summary>1-based line number of the problem, when it has one.</summary>
    public int? Line { get; }
}
