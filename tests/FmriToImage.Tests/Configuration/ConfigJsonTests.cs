using System.Text;
using FmriToImage.Configuration;

namespace FmriToImage.Tests.Configuration;

public class ConfigJsonTests
{
    private static readonly ConfigSource Source = new("cfg.json", e => new InvalidDataException($"cfg.json{(e.Line is { } l ? $", line {l}" : "")}: {e.Message}", e.Inner));

    private static ConfigObject Parse(string json) => ConfigJson.ParseObject(json, Source);

    [Theory]
    [InlineData("""{"n": "5"}""", "n must be a positive integer, found the string \"5\"")]
    [InlineData("""{"n": 5.5}""", "n must be a positive integer, found 5.5")]
    [InlineData("""{"n": 0}""", "n must be a positive integer, found 0")]
    [InlineData("""{}""", "n must be a positive integer, found none")]
    [InlineData("""{"n": null}""", "n must be a positive integer, found none")]
    public void Required_int_names_key_expected_and_found(string json, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => Parse(json).RequiredInt("n", min: 1));
        Assert.Equal($"cfg.json: {message}", e.Message);
    }

    [Fact]
    public void Nested_keys_are_named_by_their_path()
    {
        var size = ConfigJson.Object(Parse("""{"size": {"height": true}}""").Required("size", "an object"), "size", Source);
        var e = Assert.Throws<InvalidDataException>(() => size.OptionalInt("height", 1, 10));
        Assert.Equal("cfg.json: size.height must be an integer in [1, 10], found true", e.Message);
        Assert.Equal("cfg.json: a[1] must be a number, found an array", Assert.Throws<InvalidDataException>(
            () => ConfigJson.Numbers(Parse("""{"a": [1, []]}""").Required("a", "numbers"), "a", Source)).Message);
    }

    [Fact]
    public void Optional_keys_treat_null_as_absent_and_last_duplicate_wins()
    {
        var root = Parse("""{"s": null, "b": false, /* comment */ "b": true,}""");
        Assert.Null(root.OptionalString("s"));
        Assert.Null(root.OptionalBool("missing"));
        Assert.True(root.OptionalBool("b"));
    }

    [Fact]
    public void An_editable_copy_keeps_the_last_of_a_key_written_twice_at_any_depth()
    {
        var parsed = Parse("""
            // a comment
            {"a": 1, "o": {"k": "first", "k": "last", "l": [1, {"x": 1, "x": 2}, null]}, "a": 2, "n": null,}
            """);
        var copy = ConfigJson.ToNode(parsed.Element)!.AsObject();
        Assert.Equal("""{"a":2,"o":{"k":"last","l":[1,{"x":2},null]},"n":null}""", copy.ToJsonString());
        copy["added"] = true;
        Assert.True((bool)copy["added"]!);
    }

    [Fact]
    public void Integral_floats_are_integers_only_when_asked()
    {
        var value = Parse("""{"t": 1000.0}""").Required("t", "an integer");
        Assert.Equal(1000, ConfigJson.Int(value, "t", Source, integralFloat: true));
        Assert.Throws<InvalidDataException>(() => ConfigJson.Int(value, "t", Source));
    }

    [Fact]
    public void Malformed_text_names_line_and_offset()
    {
        Assert.Contains("line 2", Assert.Throws<InvalidDataException>(() => Parse("{\n oops}")).Message);
        Assert.Contains("expected a JSON object at the top level, found an array", Assert.Throws<InvalidDataException>(() => Parse("[1]")).Message);
        byte[] bytes = [.. "\uFEFF{\n\"a\": \""u8, 0xFF, .. "\"}"u8];
        var e = Assert.Throws<InvalidDataException>(() => ConfigJson.ParseObject(bytes, Source));
        Assert.Contains("line 2: not UTF-8 text: the byte at offset 11", e.Message);
    }

    [Fact]
    public void Size_and_depth_are_bounded()
    {
        var big = new byte[ConfigJson.MaxBytes + 1];
        Assert.Contains($"at most {ConfigJson.MaxBytes} bytes", Assert.Throws<InvalidDataException>(() => ConfigJson.ParseObject(big, Source)).Message);
        var deep = "{\"a\":" + new string('[', ConfigJson.MaxDepth + 1) + new string(']', ConfigJson.MaxDepth + 1) + "}";
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => Parse(deep)).Message);
    }

    [Fact]
    public void Id_maps_locate_a_bad_id_by_line()
    {
        var map = ConfigJson.ReadIdMap(Encoding.UTF8.GetBytes("{\"a\": 1, \"a\": 2}"), Source);
        Assert.Equal(2, map["a"]);
        var e = Assert.Throws<InvalidDataException>(() => ConfigJson.ReadIdMap(Encoding.UTF8.GetBytes("{\n\"a\": 1,\n\"b\": -1}"), Source));
        Assert.Equal("cfg.json, line 3: token \"b\" must map to a non-negative integer id, found -1", e.Message);
    }

    [Fact]
    public void Missing_file_is_a_typed_error()
    {
        var e = Assert.Throws<InvalidDataException>(() => ConfigJson.ReadFile("/no/such/cfg.json", Source));
        Assert.Equal("cfg.json: file not found", e.Message);
    }
}
