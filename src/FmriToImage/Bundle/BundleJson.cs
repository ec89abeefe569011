using System.Text.Json;
using FmriToImage.Configuration;

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
    public const int MaxConfigBytes = ConfigJson.MaxBytes;

    /// <summary>
    /// Parses <paramref name="bytes"/> (the content of <paramref name="filePath"/>) into a JSON object, checked as UTF-8
    /// first, so no string read from it later can fail to decode.
    /// </summary>
    /// <exception cref="BundleFormatException">Not UTF-8, not JSON, or not an object at the top level.</exception>
    public static JsonElement ParseObject(ReadOnlySpan<byte> bytes, string filePath) => ConfigJson.ParseObject(bytes, Source(filePath)).Element;

    /// <summary>
    /// Deserializes <paramref name="bytes"/> into <typeparamref name="T"/> with <paramref name="options"/>, checked as
    /// UTF-8 first; a JSON null at the top level is refused.
    /// </summary>
    /// <exception cref="BundleFormatException">Not UTF-8, not JSON, or a value the type cannot take (the JSON path named).</exception>
    public static T Deserialize<T>(ReadOnlySpan<byte> bytes, string filePath, JsonSerializerOptions options)
        where T : class => ConfigJson.Deserialize<T>(bytes, Source(filePath), options);

    /// <summary>Decodes UTF-8 text, refusing bytes that are not UTF-8 (naming the offset of the first); a byte order mark is skipped.</summary>
    /// <exception cref="BundleFormatException">The bytes are not UTF-8.</exception>
    public static string DecodeUtf8(ReadOnlySpan<byte> bytes, string filePath) => ConfigJson.DecodeUtf8(bytes, Source(filePath));

    /// <summary>A bundle file read by <see cref="ConfigJson"/>: its errors are <see cref="BundleFormatException"/>s (sentences).</summary>
    private static ConfigSource Source(string filePath) => new(filePath, e => new BundleFormatException(filePath, e.Sentence, e.Inner, e.Offset));
}
