using FmriToImage.Text;

namespace FmriToImage.Tests.Text;

public sealed class WordPieceTokenizerTests
{
    private static readonly WordPieceTokenizer Tokenizer = WordPieceTokenizer.Load(TextFixtures.WordPiece);

    public static TheoryData<int> Cases => TextFixtures.CaseIndices();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_python_reference(int index)
    {
        var c = TextFixtures.Cases[index];
        string text = c.GetProperty("text").GetString()!;
        Assert.Equal(TextFixtures.Strings(c, "wordPieceTokens"), Tokenizer.Tokenize(text));
        int[] ids = TextFixtures.Ints(c, "wordPieceIds");
        Assert.Equal(ids, Tokenizer.Encode(text));
        Assert.Equal(c.GetProperty("wordPieceDecoded").GetString(), Tokenizer.Decode(ids));
        Assert.Equal(c.GetProperty("wordPieceDecodedWithSpecial").GetString(), Tokenizer.Decode(ids, skipSpecialTokens: false));
    }

    [Fact]
    public void Hand_worked_greedy_longest_match()
    {
        // "sitting": longest prefix in vocab is "sit", then "##ting". "unaffable": "un" "##aff" "##able".
        Assert.Equal(["sit", "##ting"], Tokenizer.Tokenize("Sitting"));
        Assert.Equal(["un", "##aff", "##able"], Tokenizer.Tokenize("unaffable"));
        // Accents are stripped when lower-casing (BERT uncased): "Café" → "cafe".
        Assert.Equal(["cafe"], Tokenizer.Tokenize("Café"));
        // No piece matches "xyz" → the whole word is [UNK].
        Assert.Equal(["[UNK]"], Tokenizer.Tokenize("xyz"));
        // Punctuation is split off.
        Assert.Equal(["the", "cat", "!"], Tokenizer.Tokenize("the cat!"));
    }

    [Fact]
    public void Decodes_a_blip_style_generation()
    {
        // BLIP starts generation from bos [DEC] (an added token) and stops at [SEP].
        int dec = Tokenizer.BosId!.Value;
        int[] ids = [dec, Tokenizer.TokenToId("a")!.Value, Tokenizer.TokenToId("cat")!.Value,
            Tokenizer.TokenToId("sit")!.Value, Tokenizer.TokenToId("##ting")!.Value, Tokenizer.TokenToId("on")!.Value,
            Tokenizer.TokenToId("the")!.Value, Tokenizer.TokenToId("sofa")!.Value, Tokenizer.TokenToId(".")!.Value,
            Tokenizer.SepId];
        Assert.Equal("a cat sitting on the sofa.", Tokenizer.Decode(ids));
        Assert.Equal("[DEC] a cat sitting on the sofa. [SEP]", Tokenizer.Decode(ids, skipSpecialTokens: false));
    }

    [Fact]
    public void Truncation_keeps_cls_and_sep()
    {
        int[] ids = Tokenizer.Encode(string.Concat(Enumerable.Repeat("cat ", 1000)), maxLength: 10);
        Assert.Equal(10, ids.Length);
        Assert.Equal(Tokenizer.ClsId, ids[0]);
        Assert.Equal(Tokenizer.SepId, ids[^1]);
    }

    [Fact]
    public void Unknown_id_is_rejected() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([99_999]));
}
