using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace FmriToImage.Text;

/// <summary>
/// CLIP's byte-level BPE tokenizer, equivalent to Hugging Face <c>CLIPTokenizer</c> on its path without ftfy:
/// BERT basic clean-up (control characters dropped, whitespace normalised, CJK ideographs spaced, NFC, lower-case),
/// CLIP's pre-tokenisation pattern (<c>'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+</c>), the GPT-2
/// byte→unicode table, <c>&lt;/w&gt;</c> on each word's last symbol, merges applied by rank, then start/end tokens
/// and padding/truncation to the context length.
/// </summary>
/// <remarks>
/// <para>Files: <c>vocab.json</c> and <c>merges.txt</c> (required); <c>tokenizer_config.json</c> (model_max_length,
/// clean_up_tokenization_spaces, special tokens) and <c>special_tokens_map.json</c> (special tokens) when present.
/// Defaults as transformers: bos <c>&lt;|startoftext|&gt;</c>, eos/unk/pad <c>&lt;|endoftext|&gt;</c>; context 77
/// when no file gives one. As in transformers, the first line of merges.txt is a header and at most
/// 49152 − 256 − 2 merges are read.</para>
/// <para>Known differences from Python: lower-casing uses .NET's invariant simple case mapping (Python's full
/// mapping differs for a few characters such as U+0130); only the start and end tokens are recognised as special
/// text inside the input.</para>
/// <para>Thread-safe: immutable after loading, with a concurrent cache of word → BPE symbols.</para>
/// </remarks>
internal sealed class ClipTokenizer
{
    /// <summary>The context length used when no tokenizer file gives one (CLIP's text transformer: 77).</summary>
    public const int DefaultContextLength = 77;

    private const int MaxMerges = 49152 - 256 - 2;
    private const int MaxCacheEntries = 50_000;
    private const string WordEnd = "</w>";

    private static readonly char[] ByteToChar = BuildByteTable();
    private static readonly Dictionary<char, byte> CharToByte = BuildInverseTable();

    private readonly Dictionary<string, int> _encoder;
    private readonly string[] _decoder;
    private readonly Dictionary<(string, string), int> _ranks;
    private readonly ConcurrentDictionary<string, string[]> _cache = new(StringComparer.Ordinal);
    private readonly BasicTokenizer _basic = new(lowerCase: true, stripAccents: false, splitOnPunctuation: false);
    private readonly HashSet<int> _specialIds;
    private readonly string[] _specialStrings;
    private readonly bool _cleanUp;

    private ClipTokenizer(
        Dictionary<string, int> encoder, Dictionary<(string, string), int> ranks, string bos, string eos, int unkId,
        int padId, int contextLength, bool cleanUp)
    {
        _encoder = encoder;
        _ranks = ranks;
        int maxId = encoder.Values.Max();
        _decoder = new string[maxId + 1];
        foreach (var (token, id) in encoder)
        {
            _decoder[id] = token;
        }

        _specialStrings = [.. new[] { bos, eos }.Distinct().OrderByDescending(t => t.Length)];
        BosId = encoder[bos];
        EosId = encoder[eos];
        UnkId = unkId;
        PadId = padId;
        ContextLength = contextLength;
        _cleanUp = cleanUp;
        _specialIds = [BosId, EosId, UnkId, PadId];
    }

    /// <summary>The id of the start token.</summary>
    public int BosId { get; }

    /// <summary>The id of the end token.</summary>
    public int EosId { get; }

    /// <summary>The id used for tokens missing from the vocabulary.</summary>
    public int UnkId { get; }

    /// <summary>The id used for padding (the end token for OpenAI CLIP, <c>!</c> = 0 for OpenCLIP / SD 2).</summary>
    public int PadId { get; }

    /// <summary>The fixed length <see cref="Encode"/> pads and truncates to.</summary>
    public int ContextLength { get; }

    /// <summary>Number of entries in vocab.json.</summary>
    public int VocabularySize => _encoder.Count;

    /// <summary>Loads a tokenizer from a folder holding the Hugging Face files.</summary>
    /// <param name="directory">Folder with vocab.json and merges.txt (and optionally the JSON config files).</param>
    /// <param name="contextLength">Overrides the context length read from the files.</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="TokenizerFileException">A file is missing or malformed (the message names file and line).</exception>
    public static ClipTokenizer Load(string directory, int? contextLength = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string vocabPath = Path.Combine(directory, "vocab.json");
        string mergesPath = Path.Combine(directory, "merges.txt");
        Dictionary<string, int> vocab = TokenizerFiles.ReadVocabJson(vocabPath);
        Dictionary<(string, string), int> ranks = ReadMerges(mergesPath);
        TokenizerFiles files = TokenizerFiles.Read(directory);

        string bos = files.SpecialToken("bos_token") ?? "<|startoftext|>";
        string eos = files.SpecialToken("eos_token") ?? "<|endoftext|>";
        string unk = files.SpecialToken("unk_token") ?? "<|endoftext|>";
        string pad = files.SpecialToken("pad_token") ?? "<|endoftext|>";
        foreach (var (name, token) in new[] { ("bos_token", bos), ("eos_token", eos), ("unk_token", unk), ("pad_token", pad) })
        {
            if (!vocab.ContainsKey(token))
            {
                throw new TokenizerFileException(vocabPath, null, $"{name} \"{token}\" is not in the vocabulary");
            }
        }

        int context = contextLength ?? files.ModelMaxLength ?? DefaultContextLength;
        if (context < 2)
        {
            throw new TokenizerFileException(
                Path.Combine(directory, "tokenizer_config.json"), null, $"context length must be at least 2, got {context}");
        }

        return new ClipTokenizer(vocab, ranks, bos, eos, vocab[unk], vocab[pad], context, files.CleanUpTokenizationSpaces ?? true);
    }

    /// <summary>The BPE tokens of a text, without start/end tokens (the strings of vocab.json).</summary>
    /// <param name="text">Any text; empty gives no tokens.</param>
    /// <returns>The tokens.</returns>
    public IReadOnlyList<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<string>();
        foreach (var (segment, isSpecial) in SpecialTokenSplitter.Split(text, _specialStrings))
        {
            if (isSpecial)
            {
                tokens.Add(segment);
                continue;
            }

            string cleaned = string.Join(' ', _basic.Tokenize(segment));
            foreach (string word in PreTokenize(cleaned))
            {
                tokens.AddRange(Bpe(ToByteSymbols(word)));
            }
        }

        return tokens;
    }

    /// <summary>Token ids with start and end tokens, neither padded nor truncated.</summary>
    /// <param name="text">Any text.</param>
    /// <returns><c>[bos, …, eos]</c>.</returns>
    public int[] EncodeUnpadded(string text)
    {
        IReadOnlyList<string> tokens = Tokenize(text);
        var ids = new int[tokens.Count + 2];
        ids[0] = BosId;
        for (int i = 0; i < tokens.Count; i++)
        {
            ids[i + 1] = _encoder.GetValueOrDefault(tokens[i], UnkId);
        }

        ids[^1] = EosId;
        return ids;
    }

    /// <summary>
    /// Encodes to exactly <see cref="ContextLength"/> ids: <c>[bos] + tokens + [eos]</c>, tokens truncated to
    /// <c>ContextLength − 2</c>, then padded with <see cref="PadId"/> (transformers'
    /// <c>padding="max_length", truncation=True</c>).
    /// </summary>
    /// <param name="text">Any text.</param>
    /// <returns>Ids, attention mask, real length and whether truncation happened.</returns>
    internal TokenizedText Encode(string text)
    {
        int[] full = EncodeUnpadded(text);
        var ids = new int[ContextLength];
        var mask = new int[ContextLength];
        int tokens = Math.Min(full.Length - 2, ContextLength - 2);
        ids[0] = BosId;
        full.AsSpan(1, tokens).CopyTo(ids.AsSpan(1));
        ids[tokens + 1] = EosId;
        int length = tokens + 2;
        ids.AsSpan(length).Fill(PadId);
        mask.AsSpan(0, length).Fill(1);
        return new TokenizedText(ids, mask, length, full.Length > ContextLength);
    }

    /// <summary>Encodes as <see cref="Encode"/> into an int64 buffer (e.g. an optimum text-encoder input row).</summary>
    /// <param name="text">Any text.</param>
    /// <param name="destination">Exactly <see cref="ContextLength"/> elements.</param>
    public void EncodeInto(string text, Span<long> destination)
    {
        CheckDestination(destination.Length);
        int[] ids = Encode(text).Ids;
        for (int i = 0; i < ids.Length; i++)
        {
            destination[i] = ids[i];
        }
    }

    /// <summary>Encodes as <see cref="Encode"/> into an int32 buffer (e.g. a diffusers text-encoder input row).</summary>
    /// <param name="text">Any text.</param>
    /// <param name="destination">Exactly <see cref="ContextLength"/> elements.</param>
    public void EncodeInto(string text, Span<int> destination)
    {
        CheckDestination(destination.Length);
        Encode(text).Ids.CopyTo(destination);
    }

    /// <summary>
    /// Turns ids back into text: tokens concatenated, byte→unicode reversed, UTF-8 decoded (invalid sequences become
    /// U+FFFD), <c>&lt;/w&gt;</c> → space, trimmed, and transformers' clean-up of spaces before punctuation unless the
    /// config disables it.
    /// </summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecialTokens">Leave out start, end, pad and unknown tokens.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An id is not in the vocabulary.</exception>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = true)
    {
        var parts = new List<string>();
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            if (id < 0 || id >= _decoder.Length || _decoder[id] is null)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is not in the vocabulary of {VocabularySize} tokens.");
            }

            if (_specialIds.Contains(id))
            {
                if (skipSpecialTokens)
                {
                    continue;
                }

                // transformers decodes special tokens as separate pieces joined by spaces.
                FlushBytes(bytes, parts);
                parts.Add(_decoder[id]);
                continue;
            }

            foreach (char c in _decoder[id])
            {
                // Symbols outside the byte table (never produced by this tokenizer) are dropped.
                if (CharToByte.TryGetValue(c, out byte b))
                {
                    bytes.Add(b);
                }
                else
                {
                    bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
                }
            }
        }

        FlushBytes(bytes, parts);
        string text = string.Join(' ', parts.Where(p => p.Length > 0));
        return _cleanUp ? TokenizationCleanup.Apply(text) : text;
    }

    private static void FlushBytes(List<byte> bytes, List<string> parts)
    {
        if (bytes.Count == 0)
        {
            return;
        }

        parts.Add(Encoding.UTF8.GetString(bytes.ToArray()).Replace(WordEnd, " ", StringComparison.Ordinal).Trim());
        bytes.Clear();
    }

    private void CheckDestination(int length)
    {
        if (length != ContextLength)
        {
            throw new ArgumentException($"Destination must hold exactly {ContextLength} ids, got {length}.", "destination");
        }
    }

    /// <summary>
    /// CLIP's pattern, applied left to right with its alternatives in order: the two special strings, the
    /// contractions, a run of letters, one number character, or a run of anything but whitespace, letters and numbers.
    /// Works on code points so astral letters count as letters, as in Python's <c>regex</c> module.
    /// </summary>
    internal static List<string> PreTokenize(string text)
    {
        var pieces = new List<string>();
        int i = 0;
        while (i < text.Length)
        {
            Rune rune = Rune.GetRuneAt(text, i);
            if (Rune.IsWhiteSpace(rune))
            {
                i += rune.Utf16SequenceLength;
                continue;
            }

            int length = MatchSpecialOrContraction(text, i);
            if (length == 0)
            {
                Kind kind = KindOf(rune);
                length = rune.Utf16SequenceLength;
                if (kind == Kind.Letter || kind == Kind.Other)
                {
                    while (i + length < text.Length)
                    {
                        Rune next = Rune.GetRuneAt(text, i + length);
                        if (KindOf(next) != kind)
                        {
                            break;
                        }

                        length += next.Utf16SequenceLength;
                    }
                }
            }

            pieces.Add(text.Substring(i, length));
            i += length;
        }

        return pieces;
    }

    private static int MatchSpecialOrContraction(string text, int i)
    {
        foreach (string literal in new[] { "<|startoftext|>", "<|endoftext|>", "'s", "'t", "'re", "'ve", "'m", "'ll", "'d" })
        {
            if (i + literal.Length <= text.Length
                && string.Compare(text, i, literal, 0, literal.Length, StringComparison.OrdinalIgnoreCase) == 0)
            {
                return literal.Length;
            }
        }

        return 0;
    }

    private enum Kind
    {
        Letter,
        Number,
        Space,
        Other,
    }

    private static Kind KindOf(Rune rune)
    {
        if (Rune.IsWhiteSpace(rune))
        {
            return Kind.Space;
        }

        return Rune.GetUnicodeCategory(rune) switch
        {
            UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
                or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => Kind.Letter,
            UnicodeCategory.DecimalDigitNumber or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber => Kind.Number,
            _ => Kind.Other,
        };
    }

    private static string ToByteSymbols(string word)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(word);
        var chars = new char[utf8.Length];
        for (int i = 0; i < utf8.Length; i++)
        {
            chars[i] = ByteToChar[utf8[i]];
        }

        return new string(chars);
    }

    private string[] Bpe(string token)
    {
        if (_cache.TryGetValue(token, out string[]? cached))
        {
            return cached;
        }

        // Every byte symbol is one BMP char; the last carries the word-end marker.
        var word = new List<string>(token.Length);
        for (int i = 0; i < token.Length - 1; i++)
        {
            word.Add(token[i].ToString());
        }

        word.Add(token[^1] + WordEnd);

        while (word.Count > 1)
        {
            int bestRank = int.MaxValue;
            (string, string) best = default;
            for (int i = 0; i < word.Count - 1; i++)
            {
                if (_ranks.TryGetValue((word[i], word[i + 1]), out int rank) && rank < bestRank)
                {
                    bestRank = rank;
                    best = (word[i], word[i + 1]);
                }
            }

            if (bestRank == int.MaxValue)
            {
                break;
            }

            var merged = new List<string>(word.Count);
            for (int i = 0; i < word.Count;)
            {
                if (i < word.Count - 1 && word[i] == best.Item1 && word[i + 1] == best.Item2)
                {
                    merged.Add(best.Item1 + best.Item2);
                    i += 2;
                }
                else
                {
                    merged.Add(word[i]);
                    i++;
                }
            }

            word = merged;
        }

        string[] result = [.. word];
        if (_cache.Count < MaxCacheEntries)
        {
            _cache.TryAdd(token, result);
        }

        return result;
    }

    private static Dictionary<(string, string), int> ReadMerges(string path)
    {
        string[] lines = TokenizerFiles.ReadLines(path);
        var ranks = new Dictionary<(string, string), int>();
        int first = lines.Length > 0 && lines[0].StartsWith("#version", StringComparison.Ordinal) ? 1 : 0;
        // As transformers: rank = position in the file after the header; a repeated pair keeps its later rank.
        for (int i = first; i < lines.Length && i - first < MaxMerges; i++)
        {
            string line = lines[i];
            if (line.Trim().Length == 0)
            {
                if (i >= lines.Length - 1)
                {
                    continue; // the final newline
                }

                throw new TokenizerFileException(path, i + 1, "empty line inside the merge list; expected \"first second\"");
            }

            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
            {
                throw new TokenizerFileException(path, i + 1, $"expected two symbols separated by a space, found \"{line}\"");
            }

            ranks[(parts[0], parts[1])] = i - first;
        }

        if (ranks.Count == 0)
        {
            throw new TokenizerFileException(path, null, "no merges found");
        }

        return ranks;
    }

    private static char[] BuildByteTable()
    {
        // GPT-2's bytes_to_unicode: printable Latin-1 bytes map to themselves, the rest to U+0100 onwards in order.
        var table = new char[256];
        int n = 0;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            table[b] = printable ? (char)b : (char)(256 + n++);
        }

        return table;
    }

    private static Dictionary<char, byte> BuildInverseTable()
    {
        var inverse = new Dictionary<char, byte>(256);
        for (int b = 0; b < 256; b++)
        {
            inverse[ByteToChar[b]] = (byte)b;
        }

        return inverse;
    }
}
