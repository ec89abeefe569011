using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace FmriToImage.Bundle;

/// <summary>
/// The one way bundle JSON files are read (<c>fmri_decoder.json</c>, <c>model_index.json</c>, component
/// <c>config.json</c>s, scheduler and preprocessor configs): every malformation — bytes that are not UTF-8, text that is
/// not JSON, a top level that is not an object, a value of the wrong type or a null where a value is required — ends in
/// <see cref="BundleFormatException"/> naming the file and the byte offset, line or JSON path.
/// </summary>
internal static class BundleJson
{
    /// <summary>The largest config a bundle may hold; real ones are kilobytes (a CLIP vocab.json is 1.6 MB).</summary>
    public const int MaxConfigBytes = 16 << 20;

    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 64,
    };

    /// <summary>
    /// Parses <paramref name="bytes"/> (the content of <paramref name="filePath"/>) into a JSON object, checked as UTF-8
    /// first, so no string read from it later can fail to decode.
    /// </summary>
    /// <exception cref="BundleFormatException">Not UTF-8, not JSON, or not an object at the top level.</exception>
    public static JsonElement ParseObject(ReadOnlySpan<byte> bytes, string filePath)
    {
        var text = Utf8Text(bytes, filePath);
        try
        {
            using var document = JsonDocument.Parse(text.ToArray(), DocumentOptions);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new BundleFormatException(filePath, $"the top level must be a JSON object, not {Describe(document.RootElement)}.");
            }

            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw NotJson(filePath, e, bytes);
        }
    }

    /// <summary>
    /// Deserializes <paramref name="bytes"/> into <typeparamref name="T"/> with <paramref name="options"/>, checked as
    /// UTF-8 first; a JSON null at the top level is refused.
    /// </summary>
    /// <exception cref="BundleFormatException">Not UTF-8, not JSON, or a value the type cannot take (the JSON path named).</exception>
    public static T Deserialize<T>(ReadOnlySpan<byte> bytes, string filePath, JsonSerializerOptions options)
        where T : class
    {
        var text = Utf8Text(bytes, filePath);
        try
        {
            return JsonSerializer.Deserialize<T>(text, options)
                ?? throw new BundleFormatException(filePath, "the file holds JSON null; a JSON object is expected.");
        }
        catch (JsonException e)
        {
            throw NotJson(filePath, e, bytes);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            throw new BundleFormatException(filePath, $"a value cannot be read: {e.Message}", e);
        }
    }

    /// <summary>Decodes UTF-8 text, refusing bytes that are not UTF-8 (naming the offset of the first); a byte order mark is skipped.</summary>
    /// <exception cref="BundleFormatException">The bytes are not UTF-8.</exception>
    public static string DecodeUtf8(ReadOnlySpan<byte> bytes, string filePath) => Encoding.UTF8.GetString(Utf8Text(bytes, filePath));

    /// <summary>How a JSON value reads in a message: its kind, with the value for numbers, strings and booleans.</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{value.GetString()}\"",
        JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        _ => "an object",
    };

    /// <summary>The text without a byte order mark, after checking every byte is UTF-8.</summary>
    private static ReadOnlySpan<byte> Utf8Text(ReadOnlySpan<byte> bytes, string filePath)
    {
        if (bytes.StartsWith("\uFEFF"u8))
        {
            bytes = bytes[3..];
        }

        if (!Utf8.IsValid(bytes))
        {
            throw new BundleFormatException(filePath, $"not UTF-8 text: the byte at offset {FirstInvalid(bytes)} does not start a valid UTF-8 sequence; JSON files are UTF-8.", offset: FirstInvalid(bytes));
        }

        return bytes;
    }

    private static int FirstInvalid(ReadOnlySpan<byte> bytes)
    {
        var offset = 0;
        while (offset < bytes.Length)
        {
            var status = System.Text.Rune.DecodeFromUtf8(bytes[offset..], out _, out var consumed);
            if (status != System.Buffers.OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return offset;
    }

    private static BundleFormatException NotJson(string filePath, JsonException e, ReadOnlySpan<byte> bytes) =>
        new(filePath, $"not valid JSON{(e.Path is null or "$" ? "" : $" at {e.Path}")} (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}): {e.Message}", e, MalformedFileException.JsonOffset(bytes, e));
}
