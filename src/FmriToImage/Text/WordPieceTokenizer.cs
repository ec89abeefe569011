namespace FmriToImage.Text;

/// <summary>
/// BERT's WordPiece tokenizer as Hugging Face <c>BertTokenizer</c> defines it (BLIP's captioner uses it): encoding
/// splits out special/added tokens, runs the basic tokenizer (clean-up, CJK spacing, NFC, lower-casing and accent
/// stripping when configured, punctuation splitting), then greedy longest-match-first WordPiece with <c>##</c>
/// continuations (words over 100 characters or with no match become the unknown token); decoding joins tokens,
/// glues <c>##</c> continuations, skips special tokens and removes spaces before punctuation.
/// </summary>
/// <remarks>
/// <para>Files: <c>vocab.txt</c> (one token per line, id = line index; required); <c>tokenizer_config.json</c>
/// (do_lower_case, strip_accents, model_max_length, clean_up_tokenization_spaces, added_tokens_decoder),
/// <c>special_tokens_map.json</c> and <c>added_tokens.json</c> when present. Defaults as transformers:
/// <c>[UNK] [CLS] [SEP] [PAD] [MASK]</c>, lower-casing on, accents stripped when lower-casing.</para>
/// <para>Thread-safe: immutable after loading.</para>
/// </remarks>
internal sealed class WordPieceTokenizer
{
    private const int MaxCharsPerWord = 100;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<int, string> _idToToken;
    private readonly HashSet<int> _specialIds;
    private readonly HashSet<string> _addedOnly;
    private readonly string[] _unsplittable;
    private readonly BasicTokenizer _basic;
    private readonly bool _cleanUp;

    private WordPieceTokenizer(
        Dictionary<string, int> vocab, Dictionary<int, string> idToToken, HashSet<string> addedOnly,
        IReadOnlyCollection<string> specialTokens, BasicTokenizer basic, bool cleanUp, int? modelMaxLength,
        int cls, int sep, int pad, int unk, int? bos)
    {
        _vocab = vocab;
        _idToToken = idToToken;
        _addedOnly = addedOnly;
        _basic = basic;
        _cleanUp = cleanUp;
        ModelMaxLength = modelMaxLength;
        ClsId = cls;
        SepId = sep;
        PadId = pad;
        UnkId = unk;
        BosId = bos;
        _specialIds = [.. specialTokens.Select(t => vocab[t])];
        _unsplittable = [.. specialTokens.Concat(addedOnly).Distinct().OrderByDescending(t => t.Length)];
    }

    /// <summary>Id of the classification / start token (<c>[CLS]</c>).</summary>
    public int ClsId { get; }

    /// <summary>Id of the separator / end token (<c>[SEP]</c>; BLIP stops generation on it).</summary>
    public int SepId { get; }

    /// <summary>Id of the padding token (<c>[PAD]</c>).</summary>
    public int PadId { get; }

    /// <summary>Id of the unknown token (<c>[UNK]</c>).</summary>
    public int UnkId { get; }

    /// <summary>Id of the bos token when the files declare one (BLIP: <c>[DEC]</c> = 30522), else <c>null</c>.</summary>
    public int? BosId { get; }

    /// <summary><c>model_max_length</c> from tokenizer_config.json, when it gives a usable one.</summary>
    public int? ModelMaxLength { get; }

    /// <summary>Number of tokens including added tokens.</summary>
    public int VocabularySize => _vocab.Count;

    /// <summary>Loads a tokenizer from a folder holding <c>vocab.txt</c> and optionally the JSON config files.</summary>
    /// <param name="directory">The folder.</param>
    /// <returns>The tokenizer.</returns>
    /// <exception cref="TokenizerFileException">A file is missing or malformed (the message names file and line).</exception>
    public static WordPieceTokenizer Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string vocabPath = Path.Combine(directory, "vocab.txt");
        string[] lines = TokenizerFiles.ReadLines(vocabPath);
        int count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        if (count == 0)
        {
            throw new TokenizerFileException(vocabPath, null, "the vocabulary is empty");
        }

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var idToToken = new Dictionary<int, string>();
        for (int i = 0; i < count; i++)
        {
            string token = lines[i].Trim();
            if (token.Length == 0)
            {
                throw new TokenizerFileException(vocabPath, i + 1, "empty token line; expected one token per line");
            }

            vocab[token] = i;
            idToToken[i] = token;
        }

        TokenizerFiles files = TokenizerFiles.Read(directory);
        var addedOnly = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (token, id) in files.AddedTokens)
        {
            if (!vocab.ContainsKey(token))
            {
                addedOnly.Add(token);
            }

            vocab[token] = id;
            idToToken[id] = token;
        }

        string Special(string name, string fallback)
        {
            string token = files.SpecialToken(name) ?? fallback;
            return vocab.ContainsKey(token)
                ? token
                : throw new TokenizerFileException(vocabPath, null, $"{name} \"{token}\" is in neither vocab.txt nor the added tokens");
        }

        string cls = Special("cls_token", "[CLS]");
        string sep = Special("sep_token", "[SEP]");
        string pad = Special("pad_token", "[PAD]");
        string unk = Special("unk_token", "[UNK]");
        var special = new List<string> { cls, sep, pad, unk };
        if (files.SpecialToken("mask_token") is not null || vocab.ContainsKey("[MASK]"))
        {
            special.Add(Special("mask_token", "[MASK]"));
        }

        string? bos = files.SpecialToken("bos_token") is null ? null : Special("bos_token", "");
        if (bos is not null)
        {
            special.Add(bos);
        }

        foreach (string extra in files.AdditionalSpecialTokens)
        {
            special.Add(vocab.ContainsKey(extra)
                ? extra
                : throw new TokenizerFileException(vocabPath, null, $"additional special token \"{extra}\" is not in the vocabulary"));
        }

        bool lower = files.DoLowerCase ?? true;
        var basic = new BasicTokenizer(lower, files.StripAccents ?? lower, splitOnPunctuation: true);
        return new WordPieceTokenizer(
            vocab, idToToken, addedOnly, special, basic, files.CleanUpTokenizationSpaces ?? true, files.ModelMaxLength,
            vocab[cls], vocab[sep], vocab[pad], vocab[unk], bos is null ? null : vocab[bos]);
    }

    /// <summary>The id of a token, or <c>null</c> if it is not in the vocabulary.</summary>
    /// <param name="token">A token string such as <c>"##ing"</c>.</param>
    /// <returns>The id or <c>null</c>.</returns>
    public int? TokenToId(string token) => _vocab.TryGetValue(token, out int id) ? id : null;

    /// <summary>The token of an id, or <c>null</c> if no token has it.</summary>
    /// <param name="id">A token id.</param>
    /// <returns>The token or <c>null</c>.</returns>
    public string? IdToToken(int id) => _idToToken.GetValueOrDefault(id);

    /// <summary>The WordPiece tokens of a text, without <c>[CLS]</c>/<c>[SEP]</c>.</summary>
    /// <param name="text">Any text.</param>
    /// <returns>The tokens.</returns>
    public IReadOnlyList<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var output = new List<string>();
        foreach (var (segment, isSpecial) in SpecialTokenSplitter.Split(text, _unsplittable))
        {
            if (isSpecial)
            {
                output.Add(segment);
                continue;
            }

            foreach (string word in _basic.Tokenize(segment))
            {
                WordPiece(word, output);
            }
        }

        return output;
    }

    /// <summary>Token ids, by default as <c>[CLS] … [SEP]</c>.</summary>
    /// <param name="text">Any text.</param>
    /// <param name="addSpecialTokens">Wrap in <c>[CLS]</c> and <c>[SEP]</c>.</param>
    /// <param name="maxLength">When set, truncate so the result (special tokens included) is at most this long.</param>
    /// <returns>The ids.</returns>
    public int[] Encode(string text, bool addSpecialTokens = true, int? maxLength = null)
    {
        IReadOnlyList<string> tokens = Tokenize(text);
        int extra = addSpecialTokens ? 2 : 0;
        int keep = tokens.Count;
        if (maxLength is { } max)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(max, extra, nameof(maxLength));
            keep = Math.Min(keep, max - extra);
        }

        var ids = new List<int>(keep + extra);
        if (addSpecialTokens)
        {
            ids.Add(ClsId);
        }

        for (int i = 0; i < keep; i++)
        {
            ids.Add(_vocab.GetValueOrDefault(tokens[i], UnkId));
        }

        if (addSpecialTokens)
        {
            ids.Add(SepId);
        }

        return [.. ids];
    }

    /// <summary>
    /// Ids back to text: tokens joined by spaces with <c>" ##"</c> removed, added tokens kept as separate words,
    /// special tokens skipped on request, then transformers' clean-up of spaces before punctuation (unless
    /// tokenizer_config.json disables it).
    /// </summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecialTokens">Leave out <c>[CLS] [SEP] [PAD] [UNK] [MASK]</c>, bos and additional special tokens.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentOutOfRangeException">An id has no token.</exception>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = true)
    {
        var pieces = new List<string>();
        var current = new List<string>();
        foreach (int id in ids)
        {
            if (!_idToToken.TryGetValue(id, out string? token))
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is not in the vocabulary.");
            }

            if (skipSpecialTokens && _specialIds.Contains(id))
            {
                continue;
            }

            if (_addedOnly.Contains(token))
            {
                Flush(current, pieces);
                pieces.Add(token);
            }
            else
            {
                current.Add(token);
            }
        }

        Flush(current, pieces);
        string text = string.Join(' ', pieces);
        return _cleanUp ? TokenizationCleanup.Apply(text) : text;
    }

    private static void Flush(List<string> tokens, List<string> pieces)
    {
        if (tokens.Count > 0)
        {
            pieces.Add(string.Join(' ', tokens).Replace(" ##", "", StringComparison.Ordinal).Trim());
            tokens.Clear();
        }
    }

    private void WordPiece(string word, List<string> output)
    {
        // Positions of code points, so substrings never split a surrogate pair (Python slices code points).
        var bounds = new List<int>();
        for (int i = 0; i < word.Length; i += char.IsSurrogatePair(word, i) ? 2 : 1)
        {
            bounds.Add(i);
        }

        bounds.Add(word.Length);
        int chars = bounds.Count - 1;
        if (chars > MaxCharsPerWord)
        {
            output.Add(_idToToken[UnkId]);
            return;
        }

        int mark = output.Count;
        int start = 0;
        while (start < chars)
        {
            int end = chars;
            string? found = null;
            while (start < end)
            {
                string piece = word[bounds[start]..bounds[end]];
                if (start > 0)
                {
                    piece = "##" + piece;
                }

                if (_vocab.ContainsKey(piece))
                {
                    found = piece;
                    break;
                }

                end--;
            }

            if (found is null)
            {
                output.RemoveRange(mark, output.Count - mark);
                output.Add(_idToToken[UnkId]);
                return;
            }

            output.Add(found);
            start = end;
        }
    }
}
