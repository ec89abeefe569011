using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace FmriToImage.Configuration;

/// <summary>
/// The one way this library reads JSON config files (bundle manifests and component configs, scheduler, preprocessor
/// and tokenizer configs, ROI label tables, the evaluation manifest): bounded (at most <see cref="MaxBytes"/> bytes
/// and <see cref="MaxDepth"/> levels), checked as UTF-8 before parsing, the top level an object, and every value read
/// with its type and range checked. Every problem ends in the exception the file's <see cref="ConfigSource"/> makes,
/// with a message that names the key, what was expected and what was found.
/// </summary>
/// <remarks>
/// Comments and trailing commas are accepted; of a key written twice the last value counts (as Python's
/// <c>json</c> reads it). Values that are JSON <c>null</c> count as absent for optional keys (Python's None).
/// </remarks>
internal static class ConfigJson
{
    /// <summary>The largest config file read; real ones are kilobytes (a CLIP vocab.json is 1.6 MB).</summary>
    public const int MaxBytes = 16 << 20;

    /// <summary>The deepest nesting read; configs nest a few levels.</summary>
    public const int MaxDepth = 64;

    /// <summary>The options of every <see cref="JsonDocument"/> parse.</summary>
    public static JsonDocumentOptions DocumentOptions { get; } = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = MaxDepth,
    };

    /// <summary>The options of a streaming <see cref="Utf8JsonReader"/>, the same as <see cref="DocumentOptions"/>.</summary>
    public static JsonReaderOptions ReaderOptions { get; } = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = MaxDepth,
    };

    /// <summary>Reads a whole config file, refusing a missing, empty (or FIFO/device), unreadable or oversized one.</summary>
    public static byte[] ReadFile(string path, ConfigSource source)
    {
        try
        {
            // FIFOs and devices report 0 bytes and would block or never end when read; an empty file is no config either.
            if (File.Exists(path) && new FileInfo(path).Length == 0)
            {
                throw source.Fail("is empty (0 bytes) or not a regular file (a FIFO or a device, which report 0 bytes); a config file is a JSON object");
            }

            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            if (stream.Length > MaxBytes)
            {
                throw source.Fail($"is {stream.Length} bytes; a config file is at most {MaxBytes} bytes");
            }

            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw source.Fail("file not found", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw source.Fail($"cannot be read: {e.Message}", e);
        }
    }

    /// <summary>
    /// The text of <paramref name="bytes"/> without a byte order mark, after checking every byte is UTF-8 (the error
    /// names the offset and line of the first that is not), so no string read from it later can fail to decode.
    /// </summary>
    public static ReadOnlySpan<byte> Utf8Text(ReadOnlySpan<byte> bytes, ConfigSource source)
    {
        var bom = bytes.StartsWith("\uFEFF"u8) ? 3 : 0;
        var text = bytes[bom..];
        if (!Utf8.IsValid(text))
        {
            var offset = bom + FirstInvalid(text);
            throw source.Fail(new ConfigError(
                $"not UTF-8 text: the byte at offset {offset} does not start a valid UTF-8 sequence; JSON files are UTF-8",
                LineAt(bytes, offset),
                offset));
        }

        return text;
    }

    /// <summary>Decodes UTF-8 text as <see cref="Utf8Text"/> checks it.</summary>
    public static string DecodeUtf8(ReadOnlySpan<byte> bytes, ConfigSource source) => Encoding.UTF8.GetString(Utf8Text(bytes, source));

    /// <summary>Parses a config file's bytes into its top-level object.</summary>
    public static ConfigObject ParseObject(ReadOnlySpan<byte> bytes, ConfigSource source)
    {
        var text = Checked(bytes, source);
        try
        {
            using var document = JsonDocument.Parse(text.ToArray(), DocumentOptions);
            return Root(document.RootElement.Clone(), source);
        }
        catch (JsonException e)
        {
            throw NotJson(source, e, bytes);
        }
    }

    /// <summary>Parses a config's text into its top-level object.</summary>
    public static ConfigObject ParseObject(string text, ConfigSource source) => ParseObject(Encoding.UTF8.GetBytes(text), source);

    /// <summary>
    /// An editable copy of a parsed config value, read as every other config is: of a key written twice, at any depth,
    /// the last value counts (a <see cref="JsonObject"/> built straight from such an element would throw instead).
    /// </summary>
    public static JsonNode? ToNode(JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                var result = new JsonObject();
                foreach (JsonProperty property in value.EnumerateObject())
                {
                    result[property.Name] = ToNode(property.Value);
                }

                return result;
            case JsonValueKind.Array:
                return new JsonArray([.. value.EnumerateArray().Select(ToNode)]);
            case JsonValueKind.Null:
                return null;
            default:
                return JsonValue.Create(value);
        }
    }

    /// <summary>The top-level value of a config, refused unless it is an object.</summary>
    public static ConfigObject Root(JsonElement root, ConfigSource source) =>
        root.ValueKind == JsonValueKind.Object
            ? new ConfigObject(root, source)
            : throw source.Fail($"expected a JSON object at the top level, found {Describe(root)}");

    /// <summary>
    /// Deserializes a config file's bytes into <typeparamref name="T"/> with <paramref name="options"/>; a JSON null
    /// at the top level and a value the type cannot take (the JSON path named) are refused.
    /// </summary>
    public static T Deserialize<T>(ReadOnlySpan<byte> bytes, ConfigSource source, JsonSerializerOptions options)
        where T : class
    {
        var text = Checked(bytes, source);
        try
        {
            return JsonSerializer.Deserialize<T>(text, options)
                ?? throw source.Fail("the file holds JSON null; a JSON object is expected");
        }
        catch (JsonException e)
        {
            throw NotJson(source, e, bytes);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            throw source.Fail($"a value cannot be read: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads a JSON object of name → non-negative integer (a tokenizer's <c>vocab.json</c>) without building a
    /// document, naming the line of the first value that is not such an integer; of a name written twice the last
    /// value counts.
    /// </summary>
    public static Dictionary<string, int> ReadIdMap(ReadOnlySpan<byte> bytes, ConfigSource source)
    {
        var text = Checked(bytes, source);
        var bom = bytes.Length - text.Length;
        var map = new Dictionary<string, int>(StringComparer.Ordinal);
        try
        {
            var reader = new Utf8JsonReader(text, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw source.Fail(new ConfigError("expected a JSON object of token → id", 1));
            }

            while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
            {
                var name = reader.GetString()!;
                reader.Read();
                if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt32(out var id) || id < 0)
                {
                    var offset = bom + reader.TokenStartIndex;
                    var found = reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray
                        ? (reader.TokenType == JsonTokenType.StartObject ? "an object" : "an array")
                        : Encoding.UTF8.GetString(reader.ValueSpan);
                    throw source.Fail(new ConfigError(
                        $"token \"{name}\" must map to a non-negative integer id, found {found}", LineAt(bytes, offset), offset));
                }

                map[name] = id;
            }
        }
        catch (JsonException e)
        {
            throw NotJson(source, e, bytes);
        }

        return map;
    }

    /// <summary>A string value.</summary>
    public static string String(JsonElement value, string key, ConfigSource source) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw WrongType(key, "a string", value, source);

    /// <summary>A boolean value.</summary>
    public static bool Bool(JsonElement value, string key, ConfigSource source) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw WrongType(key, "true or false", value, source),
    };

    /// <summary>A number that fits a double (JSON has no infinities).</summary>
    public static double Number(JsonElement value, string key, ConfigSource source) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out var d) ? d : throw WrongType(key, "a number", value, source);

    /// <summary>A number that fits a float.</summary>
    public static float Single(JsonElement value, string key, ConfigSource source) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetSingle(out var f) && float.IsFinite(f)
            ? f
            : throw WrongType(key, "a number", value, source);

    /// <summary>
    /// An integer in [<paramref name="min"/>, <paramref name="max"/>]; with <paramref name="integralFloat"/>, a number
    /// written with a fraction that is integral (Python writes <c>1000.0</c> for a float holding 1000) is accepted.
    /// </summary>
    public static int Int(JsonElement value, string key, ConfigSource source, int min = int.MinValue, int max = int.MaxValue, bool integralFloat = false)
    {
        if (value.ValueKind == JsonValueKind.Number)
        {
            int? read = value.TryGetInt32(out var i) ? i
                : integralFloat && value.TryGetDouble(out var d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue ? (int)d
                : null;
            if (read is { } v && v >= min && v <= max)
            {
                return v;
            }
        }

        throw WrongType(key, IntegerIn(min, max), value, source);
    }

    /// <summary>An array of numbers; an element that is not one is named by its index.</summary>
    public static double[] Numbers(JsonElement value, string key, ConfigSource source)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw WrongType(key, "an array of numbers", value, source);
        }

        var values = new double[value.GetArrayLength()];
        var i = 0;
        foreach (var item in value.EnumerateArray())
        {
            values[i] = Number(item, string.Create(CultureInfo.InvariantCulture, $"{key}[{i}]"), source);
            i++;
        }

        return values;
    }

    /// <summary>An object value, whose keys are then named as <c>key.name</c>.</summary>
    public static ConfigObject Object(JsonElement value, string key, ConfigSource source, string expected = "an object") =>
        value.ValueKind == JsonValueKind.Object ? new ConfigObject(value, source, key) : throw WrongType(key, expected, value, source);

    /// <summary>The error for a value of the wrong type or out of range: "<c>key must be expected, found actual</c>".</summary>
    public static Exception WrongType(string key, string expected, JsonElement found, ConfigSource source) =>
        source.Fail($"{key} must be {expected}, found {Describe(found)}");

    /// <summary>How a JSON value reads in a message: its kind, with the value for numbers, strings and booleans (long strings cut).</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Cut(value.GetString()!)}\"",
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        _ => "an object",
    };

    /// <summary>The 1-based line of a byte offset.</summary>
    public static int LineAt(ReadOnlySpan<byte> bytes, long offset) =>
        1 + bytes[..(int)Math.Clamp(offset, 0, bytes.Length)].Count((byte)'\n');

    /// <summary>How an integer range reads in a message: "an integer", "a positive integer", "an integer in [11, 4096]".</summary>
    public static string IntegerIn(int min, int max) => (min, max) switch
    {
        (int.MinValue, int.MaxValue) => "an integer",
        (1, int.MaxValue) => "a positive integer",
        (0, int.MaxValue) => "a non-negative integer",
        _ => string.Create(CultureInfo.InvariantCulture, $"an integer in [{min}, {max}]"),
    };

    private static string Cut(string s) => s.Length <= 80 ? s : string.Concat(s.AsSpan(0, 80), "…");

    private static ReadOnlySpan<byte> Checked(ReadOnlySpan<byte> bytes, ConfigSource source) =>
        bytes.Length <= MaxBytes
            ? Utf8Text(bytes, source)
            : throw source.Fail($"is {bytes.Length} bytes; a config file is at most {MaxBytes} bytes");

    private static int FirstInvalid(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length && Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed) == OperationStatus.Done)
        {
            offset += consumed;
        }

        return offset;
    }

    private static Exception NotJson(ConfigSource source, JsonException e, ReadOnlySpan<byte> file) => source.Fail(new ConfigError(
        $"not valid JSON{(e.Path is null or "$" ? "" : $" at {e.Path}")} (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}",
        e.LineNumber is { } line ? (int)line + 1 : null,
        JsonOffset(file, e),
        e));

    /// <summary>
    /// The byte offset in a JSON file of a parser error, from the error's line and byte-in-line; <c>null</c> when the
    /// error carries no position.
    /// </summary>
    /// <param name="file">The file's bytes, a UTF-8 byte order mark included if it has one (the parser saw the text after it).</param>
    /// <param name="error">The parser's error.</param>
    private static long? JsonOffset(ReadOnlySpan<byte> file, JsonException error)
    {
        if (error.LineNumber is not { } line || error.BytePositionInLine is not { } column)
        {
            return null;
        }

        int start = file.StartsWith("\uFEFF"u8) ? 3 : 0;
        for (long l = 0; l < line; l++)
        {
            int next = file[start..].IndexOf((byte)'\n');
            if (next < 0)
            {
                return null;
            }

            start += next + 1;
        }

        return start + column;
    }

}
