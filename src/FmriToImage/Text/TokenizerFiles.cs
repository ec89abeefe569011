using System.Text.Json;
using FmriToImage.Configuration;

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
            ConfigObject root = ParseObject(config);
            files.ReadSpecialTokens(root);
            if (root.Optional("model_max_length") is { ValueKind: JsonValueKind.Number } max)
            {
                // transformers writes 1e30 ("VERY_LARGE_INTEGER") when a model has no limit.
                files.ModelMaxLength = max.TryGetInt32(out int m) && m > 0 ? m : null;
            }

            files.DoLowerCase = root.OptionalBool("do_lower_case");
            files.StripAccents = root.OptionalBool("strip_accents");
            files.CleanUpTokenizationSpaces = root.OptionalBool("clean_up_tokenization_spaces");
            if (root.Optional("added_tokens_decoder") is { ValueKind: JsonValueKind.Object } decoder)
            {
                foreach (JsonProperty p in decoder.EnumerateObject())
                {
                    if (!int.TryParse(p.Name, out int id) || TokenContent(p.Value) is not { } content)
                    {
                        throw root.Source.Fail($"added_tokens_decoder entry \"{p.Name}\" needs an integer id and a content string");
                    }

                    files.AddedTokens[content] = id;
                }
            }
        }

        string map = Path.Combine(directory, "special_tokens_map.json");
        if (File.Exists(map))
        {
            files.ReadSpecialTokens(ParseObject(map));
        }

        string added = Path.Combine(directory, "added_tokens.json");
        if (File.Exists(added))
        {
            foreach (var (token, id) in ReadVocabJson(added, allowEmpty: true))
            {
                files.AddedTokens[token] = id;
            }
        }

        return files;
    }

    /// <summary>Parses a JSON file that must hold an object; JSON errors carry the 1-based line.</summary>
    public static ConfigObject ParseObject(string path)
    {
        ConfigSource source = Source(path);
        return ConfigJson.ParseObject(ConfigJson.ReadFile(path, source), source);
    }

    /// <summary>Reads a <c>vocab.json</c> (token → id) with the line of any non-integer id.</summary>
    public static Dictionary<string, int> ReadVocabJson(string path, bool allowEmpty = false)
    {
        ConfigSource source = Source(path);
        Dictionary<string, int> vocab = ConfigJson.ReadIdMap(ConfigJson.ReadFile(path, source), source);
        if (vocab.Count == 0 && !allowEmpty)
        {
            throw source.Fail("the vocabulary is empty");
        }

        return vocab;
    }

    /// <summary>All lines of a UTF-8 text file (without line terminators), or a typed error when it is missing.</summary>
    public static string[] ReadLines(string path)
    {
        ConfigSource source = Source(path);
        string[] lines = ConfigJson.DecodeUtf8(ConfigJson.ReadFile(path, source), source).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            lines[i] = lines[i].TrimEnd('\r');
        }

        return lines;
    }

    private static ConfigSource Source(string path) => new(path, e => new TokenizerFileException(path, e.Line, e.Message, e.Inner));

    private static string? TokenContent(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Object when e.TryGetProperty("content", out JsonElement c) && c.ValueKind == JsonValueKind.String => c.GetString(),
        _ => null,
    };

    private void ReadSpecialTokens(ConfigObject root)
    {
        foreach (string name in new[] { "bos_token", "eos_token", "unk_token", "pad_token", "cls_token", "sep_token", "mask_token" })
        {
            if (root.Optional(name) is not { } e)
            {
                continue;
            }

            _special[name] = TokenContent(e)
                ?? throw ConfigJson.WrongType(name, "a string or an object with \"content\"", e, root.Source);
        }

        if (root.Optional("additional_special_tokens") is { ValueKind: JsonValueKind.Array } extra)
        {
            AdditionalSpecialTokens.Clear();
            foreach (JsonElement item in extra.EnumerateArray())
            {
                AdditionalSpecialTokens.Add(TokenContent(item)
                    ?? throw ConfigJson.WrongType("additional_special_tokens entry", "a token", item, root.Source));
            }
        }
    }
}
