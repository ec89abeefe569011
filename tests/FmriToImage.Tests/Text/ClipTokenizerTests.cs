using FmriToImage.Text;

namespace FmriToImage.Tests.Text;

public sealed class ClipTokenizerTests
{
    private static readonly ClipTokenizer Tokenizer = ClipTokenizer.Load(TextFixtures.Clip);

    public static TheoryData<int> Cases => TextFixtures.CaseIndices();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_the_python_reference(int index)
    {
        var c = TextFixtures.Cases[index];
        string text = c.GetProperty("text").GetString()!;
        Assert.Equal(TextFixtures.Strings(c, "clipTokens"), Tokenizer.Tokenize(text));
        int[] ids = TextFixtures.Ints(c, "clipIds");
        Assert.Equal(ids, Tokenizer.EncodeUnpadded(text));
        Assert.Equal(c.GetProperty("clipDecoded").GetString(), Tokenizer.Decode(ids));
        Assert.Equal(c.GetProperty("clipDecodedWithSpecial").GetString(), Tokenizer.Decode(ids, skipSpecialTokens: false));
    }

    [Fact]
    public void Hand_worked_merges()
    {
        // merges.txt starts with: c a | ca t</w> | p h | o t | ph ot | phot o</w> | o f</w> | d o | do g</w> | ' s</w> ...
        // "photo" = p h o t o</w> → ph o t o</w> → ph ot o</w> → phot o</w> → photo</w>.
        Assert.Equal(["a</w>", "photo</w>", "of</w>", "a</w>", "cat</w>"], Tokenizer.Tokenize("A photo of a CAT"));
        // The contraction is its own pre-token; "'s" = ' s</w> → 's</w>.
        Assert.Equal(["the</w>", "dog</w>", "'s</w>"], Tokenizer.Tokenize("The dog's"));
        // No merge joins two '!' symbols: one pre-token "!!" stays two byte symbols.
        Assert.Equal(["!", "!</w>"], Tokenizer.Tokenize("!!"));
        // Numbers are pre-tokenised one digit at a time.
        Assert.Equal(["1</w>", "2</w>"], Tokenizer.Tokenize("12"));
    }

    [Fact]
    public void Bytes_outside_ascii_use_the_byte_table()
    {
        // "é" is UTF-8 C3 A9; both bytes are printable Latin-1 and map to themselves: 'Ã' '©</w>'.
        Assert.Equal(["Ã", "©</w>"], Tokenizer.Tokenize("é"));
        // A space byte would map to U+0120 'Ġ' but spaces never reach BPE; a NUL is removed by the clean-up.
        Assert.Empty(Tokenizer.Tokenize("\0"));
    }

    [Fact]
    public void Pads_to_the_context_length_from_tokenizer_config()
    {
        Assert.Equal(16, Tokenizer.ContextLength);
        TokenizedText t = Tokenizer.Encode("a cat");
        Assert.Equal(16, t.Ids.Length);
        Assert.Equal(4, t.Length);
        Assert.False(t.Truncated);
        Assert.Equal(Tokenizer.BosId, t.Ids[0]);
        Assert.Equal(Tokenizer.EosId, t.Ids[3]);
        Assert.All(t.Ids[4..], id => Assert.Equal(Tokenizer.PadId, id));
        Assert.Equal([1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], t.AttentionMask);
    }

    [Fact]
    public void Truncates_long_text_keeping_start_and_end_tokens()
    {
        TokenizedText t = Tokenizer.Encode(string.Concat(Enumerable.Repeat("cat ", 5000)));
        Assert.True(t.Truncated);
        Assert.Equal(16, t.Length);
        Assert.Equal(Tokenizer.BosId, t.Ids[0]);
        Assert.Equal(Tokenizer.EosId, t.Ids[15]);
        Assert.All(t.AttentionMask, m => Assert.Equal(1, m));
    }

    [Fact]
    public void Context_length_override_and_typed_buffers()
    {
        var tokenizer = ClipTokenizer.Load(TextFixtures.Clip, contextLength: 8);
        Span<long> ids64 = stackalloc long[8];
        Span<int> ids32 = stackalloc int[8];
        tokenizer.EncodeInto("a photo of a cat", ids64);
        tokenizer.EncodeInto("a photo of a cat", ids32);
        Assert.Equal(tokenizer.Encode("a photo of a cat").Ids, ids32.ToArray());
        Assert.Equal(ids32.ToArray().Select(v => (long)v), ids64.ToArray());
        Assert.Throws<ArgumentException>(() => tokenizer.EncodeInto("x", new int[7]));
    }

    [Fact]
    public void Nfc_and_nfd_inputs_give_the_same_ids()
    {
        Assert.Equal(Tokenizer.EncodeUnpadded("café naïve"), Tokenizer.EncodeUnpadded("cafe\u0301 nai\u0308ve"));
    }

    [Fact]
    public void Decode_rejects_unknown_ids()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([1_000_000]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tokenizer.Decode([-1]));
    }

    [Fact]
    public void Tokenizer_is_safe_to_share_between_threads()
    {
        string[] texts = TextFixtures.Cases.Select(c => c.GetProperty("text").GetString()!).ToArray();
        int[][] serial = texts.Select(t => Tokenizer.EncodeUnpadded(t)).ToArray();
        var fresh = ClipTokenizer.Load(TextFixtures.Clip);
        Parallel.For(0, 200, i =>
        {
            int k = i % texts.Length;
            Assert.Equal(serial[k], fresh.EncodeUnpadded(texts[k]));
        });
    }

    /// <summary>
    /// Opt-in: FMRI2IMG_CLIP_TOKENIZER_DIR = a folder with the real openai/clip-vit-large-patch14 tokenizer files.
    /// The expected ids are those of the published CLIP vocabulary for the Stable Diffusion example prompt.
    /// </summary>
    [Fact]
    public void Real_clip_files_when_available()
    {
        string? dir = Environment.GetEnvironmentVariable("FMRI2IMG_CLIP_TOKENIZER_DIR");
        if (string.IsNullOrEmpty(dir))
        {
            return;
        }

        var clip = ClipTokenizer.Load(dir);
        Assert.Equal(77, clip.ContextLength);
        Assert.Equal(
            [49406, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496, 49407],
            clip.EncodeUnpadded("a photo of an astronaut riding a horse on mars"));
        Assert.Equal("a photo of an astronaut riding a horse on mars", clip.Decode(clip.Encode("a photo of an astronaut riding a horse on mars").Ids));
    }
}
