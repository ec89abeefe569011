using System.Text;
using System.Text.Json;

namespace FmriToImage.Text;

/// <summary>
/// Reading of the Hugging Face tokenizer side files, with errors that name the file and the line.
/// <c>tokenizer_config.json</c> gives defaults; <c>special_tokens_map.json</c> overrides the special tokens, as
/// transformers' <c>from_pretrained</c> does. A token may be a string or an AddedToken object with <c>content</c>.
/// </summary>
internal sealed class TokenizerFiles
{
    private readonly Dictionary<string, string> _special = new(StringComparer.Ordinal);

    private TokenizerFiles()
    {
    }

    public int? ModelMaxLength { get; private set; }

    public bool? DoLowerCase { get; private set; }

    public bool? StripAccents { get; private set; }

    public bool? CleanUpTokenizationSpaces { get; private set; }

    public List<string> AdditionalSpecialTokens { get; } = [];

    /// <summary>Added tokens with ids (from added_tokens.json and tokenizer_config.json's added_tokens_decoder).</summary>
    public Dictionary<string, int> AddedTokens { get; } = new(StringComparer.Ordinal);

    public string? SpecialToken(string name) => _special.GetValueOrDefault(name);

    public static TokenizerFiles Read(string directory)
    {
        var files = new TokenizerFiles();
        string config = Path.Combine(directory, "tokenizer_config.json");
        if (File.Exists(config))
        {
            JsonElement root = ParseObject(config);
            files.ReadSpecialTokens(root, config);
            if (root.TryGetProperty("model_max_length", out JsonElement max) && max.ValueKind == JsonValueKind.Number)
            {
                // transformers writes 1e30 ("VERY_LARGE_INTEGER") when a model has no limit.
                files.ModelMaxLength = max.TryGetInt32(out int m) && m > 0 ? m : null;
            }

            files.DoLowerCase = Bool(root, "do_lower_case", config);
            files.StripAccents = Bool(root, "strip_accents", config);
            files.CleanUpTokenizationSpaces = Bool(root, "clean_up_tokenization_spaces", config);
            if (root.TryGetProperty("added_tokens_decoder", out JsonElement decoder) && decoder.ValueKind == JsonValueKind.Object)
            {
                foreach (JsonProperty p in decoder.EnumerateObject())
                {
                    if (!int.TryParse(p.Name, out int id) || TokenContent(p.Value) is not { } content)
                    {
                        throw new TokenizerFileException(config, null, $"added_tokens_decoder entry \"{p.Name}\" needs an integer id and a content string");
                    }

                    files.AddedTokens[content] = id;
                }
            }
        }

        string map = Path.Combine(directory, "special_tokens_map.json");
        if (File.Exists(map))
        {
            files.ReadSpecialTokens(ParseObject(map), map);
        }

        string added = Path.Combine(directory, "added_tokens.json");
        if (File.Exists(added))
        {
            foreach (JsonProperty p in ParseObject(added).EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetInt32(out int id) || id < 0)
                {
                    throw new TokenizerFileException(added, null, $"token \"{p.Name}\" must map to a non-negative integer id, found {p.Value.GetRawText()}");
                }

                files.AddedTokens[p.Name] = id;
            }
        }

        return files;
    }

    /// <summary>Parses a JSON file that must hold an object; JSON errors carry the 1-based line.</summary>
    public static JsonElement ParseObject(string path)
    {
        byte[] bytes = ReadAllBytes(path);
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new TokenizerFileException(path, 1, $"expected a JSON object, found {doc.RootElement.ValueKind}");
            }

            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new TokenizerFileException(path, (int)(e.LineNumber ?? 0) + 1, $"not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Reads a <c>vocab.json</c> (token → id) with the line of any non-integer id.</summary>
    public static Dictionary<string, int> ReadVocabJson(string path)
    {
        byte[] bytes = ReadAllBytes(path);
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new TokenizerFileException(path, 1, "expected a JSON object of token → id");
            }

            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                string token = reader.GetString()!;
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out int id) || id < 0)
                {
                    throw new TokenizerFileException(
                        path, LineAt(bytes, reader.TokenStartIndex),
                        $"token \"{token}\" must map to a non-negative integer id, found {Encoding.UTF8.GetString(reader.ValueSpan)}");
                }

                vocab[token] = id;
            }
        }
        catch (JsonException e)
        {
            throw new TokenizerFileException(path, (int)(e.LineNumber ?? 0) + 1, $"not valid JSON: {e.Message}", e);
        }

        if (vocab.Count == 0)
        {
            throw new TokenizerFileException(path, null, "the vocabulary is empty");
        }

        return vocab;
    }

    /// <summary>All lines of a UTF-8 text file (without line terminators), or a typed error when it is missing.</summary>
    public static string[] ReadLines(string path)
    {
        byte[] bytes = ReadAllBytes(path);
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new TokenizerFileException(path, LineAt(bytes, e.Index), "not valid UTF-8", e);
        }

        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            text = text[1..];
        }

        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            lines[i] = lines[i].TrimEnd('\r');
        }

        return lines;
    }

    private static byte[] ReadAllBytes(string path)
    {
        if (!File.Exists(path))
        {
            throw new TokenizerFileException(path, null, "file not found");
        }

        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerFileException(path, null, $"cannot be read: {e.Message}", e);
        }

        // Checked here, once for every tokenizer file: a JSON reader hands invalid UTF-8 on to GetString, which throws
        // InvalidOperationException.
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            int offset = 0;
            while (Rune.DecodeFromUtf8(bytes.AsSpan(offset), out _, out int consumed) == System.Buffers.OperationStatus.Done)
            {
                offset += consumed;
            }

            throw new TokenizerFileException(path, LineAt(bytes, offset), $"not valid UTF-8: the byte at offset {offset} does not start a valid sequence");
        }

        return bytes;
    }

    private static int LineAt(byte[] bytes, long index)
    {
        int line = 1;
        for (long i = 0; i < index && i < bytes.Length; i++)
        {
            if (bytes[i] == '\n')
            {
                line++;
            }
        }

        return line;
    }

    private static bool? Bool(JsonElement root, string name, string file)
    {
        if (!root.TryGetProperty(name, out JsonElement e) || e.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return e.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new TokenizerFileException(file, null, $"{name} must be true, false or null, found {e.GetRawText()}"),
        };
    }

    private static string? TokenContent(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Object when e.TryGetProperty("content", out JsonElement c) && c.ValueKind == JsonValueKind.String => c.GetString(),
        _ => null,
    };

    private void ReadSpecialTokens(JsonElement root, string file)
    {
        foreach (string name in new[] { "bos_token", "eos_token", "unk_token", "pad_token", "cls_token", "sep_token", "mask_token" })
        {
            if (!root.TryGetProperty(name, out JsonElement e) || e.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            _special[name] = TokenContent(e)
                ?? throw new TokenizerFileException(file, null, $"{name} must be a string or an object with \"content\", found {e.GetRawText()}");
        }

        if (root.TryGetProperty("additional_special_tokens", out JsonElement extra) && extra.ValueKind == JsonValueKind.Array)
        {
            AdditionalSpecialTokens.Clear();
            foreach (JsonElement item in extra.EnumerateArray())
            {
                AdditionalSpecialTokens.Add(TokenContent(item)
                    ?? throw new TokenizerFileException(file, null, $"additional_special_tokens entry {item.GetRawText()} is not a token"));
            }
        }
    }
}
