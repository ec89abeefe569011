namespace FmriToImage.Benchmarks;

/// <summary>
/// Paths inside the repository for benchmarks that use its committed files (the demo bundle and data). BenchmarkDotNet
/// runs each benchmark from a generated folder under bin/, so the root is found by walking up to FmriToImage.sln.
/// </summary>
internal static class RepositoryFiles
{
    /// <summary>The repository root: the first folder above the running assembly that holds FmriToImage.sln.</summary>
    /// <exception cref="InvalidOperationException">No such folder (the benchmarks run outside the repository).</exception>
    public static string Root()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "FmriToImage.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No FmriToImage.sln above {AppContext.BaseDirectory}: run the benchmarks from inside the repository.");
    }
}
