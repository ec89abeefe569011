namespace FmriToImage.Tests.Data;

/// <summary>Locates the committed fixtures of the data area (tests/fixtures/data, copied beside the test assembly).</summary>
internal static class DataFixtures
{
    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([AppContext.BaseDirectory, "fixtures", "data", .. parts]);

    public static string[] Files(string folder, string pattern) =>
        Directory.GetFiles(Path(folder), pattern).OrderBy(f => f, StringComparer.Ordinal).ToArray();
}
