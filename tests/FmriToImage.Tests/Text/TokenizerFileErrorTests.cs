using FmriToImage.Text;

namespace FmriToImage.Tests.Text;

/// <summary>Missing or malformed tokenizer files fail with TokenizerFileException naming the file and line.</summary>
public sealed class TokenizerFileErrorTests
{
    [Theory]
    [InlineData("vocab.json")]
    [InlineData("merges.txt")]
    public void Missing_clip_file(string file)
    {
        TextFixtures.WithCopy(TextFixtures.Clip, dir =>
        {
            File.Delete(Path.Combine(dir, file));
            var e = Assert.Throws<TokenizerFileException>(() => ClipTokenizer.Load(dir));
            Assert.EndsWith(file, e.File);
            Assert.Contains("not found", e.Message);
        });
    }

    [Fact]
    public void Malformed_merge_line_is_located()
    {
        TextFixtures.WithCopy(TextFixtures.Clip, dir =>
        {
            string path = Path.Combine(dir, "merges.txt");
            var lines = File.ReadAllLines(path).ToList();
            lines[4] = "a b c";
            File.WriteAllLines(path, lines);
            var e = Assert.Throws<TokenizerFileException>(() => ClipTokenizer.Load(dir));
            Assert.Equal(5, e.Line);
            Assert.Contains("merges.txt, line 5", e.Message);
        });
    }

    [Fact]
    public void Non_integer_vocab_id_is_located()
    {
        TextFixtures.WithCopy(TextFixtures.Clip, dir =>
        {
            File.WriteAllText(Path.Combine(dir, "vocab.json"), "{\n \"a\": 1,\n \"b\": \"two\"\n}");
            var e = Assert.Throws<TokenizerFileException>(() => ClipTokenizer.Load(dir));
            Assert.Equal(3, e.Line);
            Assert.Contains("\"b\"", e.Message);
        });
    }

    [Fact]
    public void Invalid_json_is_located()
    {
        TextFixtures.WithCopy(TextFixtures.Clip, dir =>
        {
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), "{\n \"model_max_length\": 77,\n oops\n}");
            var e = Assert.Throws<TokenizerFileException>(() => ClipTokenizer.Load(dir));
            Assert.EndsWith("tokenizer_config.json", e.File);
            Assert.Equal(3, e.Line);
        });
    }

    [Fact]
    public void Special_token_missing_from_vocab()
    {
        TextFixtures.WithCopy(TextFixtures.Clip, dir =>
        {
            File.WriteAllText(Path.Combine(dir, "special_tokens_map.json"), "{\"pad_token\": \"<|pad|>\"}");
            var e = Assert.Throws<TokenizerFileException>(() => ClipTokenizer.Load(dir));
            Assert.Contains("<|pad|>", e.Message);
        });
    }

    [Fact]
    public void Wordpiece_missing_vocab_and_empty_line()
    {
        TextFixtures.WithCopy(TextFixtures.WordPiece, dir =>
        {
            string path = Path.Combine(dir, "vocab.txt");
            var lines = File.ReadAllLines(path).ToList();
            lines[6] = "";
            File.WriteAllLines(path, lines);
            var e = Assert.Throws<TokenizerFileException>(() => WordPieceTokenizer.Load(dir));
            Assert.Equal(7, e.Line);
            File.Delete(path);
            e = Assert.Throws<TokenizerFileException>(() => WordPieceTokenizer.Load(dir));
            Assert.Contains("vocab.txt", e.Message);
        });
    }

    [Fact]
    public void Wordpiece_bad_added_tokens()
    {
        TextFixtures.WithCopy(TextFixtures.WordPiece, dir =>
        {
            File.WriteAllText(Path.Combine(dir, "added_tokens.json"), "{\"[DEC]\": \"x\"}");
            var e = Assert.Throws<TokenizerFileException>(() => WordPieceTokenizer.Load(dir));
            Assert.Contains("added_tokens.json", e.Message);
        });
    }
}
