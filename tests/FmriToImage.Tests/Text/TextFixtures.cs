using System.Text.Json;

namespace FmriToImage.Tests.Text;

/// <summary>
/// Fixtures of tests/fixtures/text/make_text_fixtures.py: small CLIP and WordPiece vocabularies in the Hugging Face
/// file layout and, in expected.json, the tokens/ids/decoded text from its Python restatement of transformers'
/// CLIPTokenizer (ftfy-less path) and BertTokenizer.
/// </summary>
internal static class TextFixtures
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "fixtures", "text");

    public static string Clip => Path.Combine(Directory, "clip");

    public static string WordPiece => Path.Combine(Directory, "wordpiece");

    public static IReadOnlyList<JsonElement> Cases { get; } = LoadCases();

    public static TheoryData<int> CaseIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Cases.Count; i++)
        {
            data.Add(i);
        }

        return data;
    }

    public static string[] Strings(JsonElement e, string name) =>
        e.GetProperty(name).EnumerateArray().Select(v => v.GetString()!).ToArray();

    public static int[] Ints(JsonElement e, string name) =>
        e.GetProperty(name).EnumerateArray().Select(v => v.GetInt32()).ToArray();

    /// <summary>Runs a test against a scratch copy of a fixture folder (for tests that break one file).</summary>
    public static void WithCopy(string source, Action<string> test)
    {
        string copy = CopyToTemp(source);
        try
        {
            test(copy);
        }
        finally
        {
            System.IO.Directory.Delete(copy, true);
        }
    }

    private static string CopyToTemp(string source)
    {
        string target = Path.Combine(Path.GetTempPath(), $"fmri2img-tok-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(target);
        foreach (string file in System.IO.Directory.GetFiles(source))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        return target;
    }

    private static List<JsonElement> LoadCases()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "expected.json")));
        return doc.RootElement.EnumerateArray().Select(e => e.Clone()).ToList();
    }
}
