namespace FmriToImage.Tests;

/// <summary>Paths of the committed fixtures, copied beside the test assembly under fixtures/.</summary>
internal static class TestFiles
{
    /// <summary>The fixture at <c>tests/fixtures/&lt;parts&gt;</c>.</summary>
    public static string Fixture(params string[] parts) =>
        Path.Combine([AppContext.BaseDirectory, "fixtures", .. parts]);

    /// <summary>The repository root (the folder holding FmriToImage.sln), found by walking up from the test assembly.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>A path below the repository root, e.g. <c>RepoPath("samples", "data", "nsd-mini")</c>.</summary>
    public static string RepoPath(params string[] parts) => Path.Combine([RepositoryRoot, .. parts]);

    /// <summary>A model written by tests/fixtures/make_onnx_models.py.</summary>
    public static string OnnxModel(string name) => Fixture("onnx", name);

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "FmriToImage.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No FmriToImage.sln above {AppContext.BaseDirectory}; the tests run from inside the repository.");
    }
}
