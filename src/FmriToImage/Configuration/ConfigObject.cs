using System.Text.Json;

namespace FmriToImage.Configuration;

/// <summary>
/// A JSON object of a config file with typed access to its keys (<see cref="ConfigJson"/>'s checks): a required key
/// that is absent or null, or a key of the wrong type or range, ends in the file's exception naming the key (with its
/// path from the top level, e.g. <c>size.height</c>), the expected and the found value.
/// </summary>
internal readonly struct ConfigObject
{
    private readonly string? _path;

    /// <summary>Wraps <paramref name="element"/>, an object; <paramref name="path"/> is its key from the top level.</summary>
    public ConfigObject(JsonElement element, ConfigSource source, string? path = null)
    {
        Element = element;
        Source = source;
        _path = path;
    }

    /// <summary>The object.</summary>
    public JsonElement Element { get; }

    /// <summary>The file it was read from.</summary>
    public ConfigSource Source { get; }

    /// <summary>The object's properties, in file order.</summary>
    public JsonElement.ObjectEnumerator Properties => Element.EnumerateObject();

    /// <summary>How a key of this object is named in messages.</summary>
    public string Key(string name) => _path is null ? name : $"{_path}.{name}";

    /// <summary>The value of <paramref name="name"/>, or null when it is absent or JSON null.</summary>
    public JsonElement? Optional(string name) =>
        Element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <summary>The value of <paramref name="name"/>; absent or null is refused as "must be <paramref name="expected"/>, found none".</summary>
    public JsonElement Required(string name, string expected) =>
        Optional(name) ?? throw Source.Fail($"{Key(name)} must be {expected}, found none");

    /// <summary>An optional string.</summary>
    public string? OptionalString(string name) => Optional(name) is { } v ? ConfigJson.String(v, Key(name), Source) : null;

    /// <summary>A required string.</summary>
    public string RequiredString(string name) => ConfigJson.String(Required(name, "a string"), Key(name), Source);

    /// <summary>An optional boolean.</summary>
    public bool? OptionalBool(string name) => Optional(name) is { } v ? ConfigJson.Bool(v, Key(name), Source) : null;

    /// <summary>An optional integer in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int? OptionalInt(string name, int min = int.MinValue, int max = int.MaxValue) =>
        Optional(name) is { } v ? ConfigJson.Int(v, Key(name), Source, min, max) : null;

    /// <summary>A required integer in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int RequiredInt(string name, int min = int.MinValue, int max = int.MaxValue) =>
        ConfigJson.Int(Required(name, ConfigJson.IntegerIn(min, max)), Key(name), Source, min, max);

    /// <summary>An optional number that fits a float.</summary>
    public float? OptionalSingle(string name) => Optional(name) is { } v ? ConfigJson.Single(v, Key(name), Source) : null;

    /// <summary>A required object; <paramref name="expected"/> says what it must hold.</summary>
    public ConfigObject RequiredObject(string name, string expected = "an object") =>
        ConfigJson.Object(Required(name, expected), Key(name), Source, expected);
}
