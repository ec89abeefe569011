namespace FmriToImage.Samples.Reconstruct;

/// <summary>The --out folder, checked before anything runs: a folder (made when missing) that the job can write into.</summary>
internal static class OutputFolder
{
    /// <summary>
    /// Makes <paramref name="output"/> and its <c>trials/</c> folder and checks a file can be written there; returns
    /// what is wrong (for a usage error naming --out), or null when the folder is ready.
    /// </summary>
    public static string? Prepare(string output)
    {
        if (string.IsNullOrWhiteSpace(output))
        {
            return "is empty; name the folder the outputs go to (e.g. --out out).";
        }

        string full;
        try
        {
            full = Path.GetFullPath(output);
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            return $"is not a usable path: {e.Message}";
        }

        if (File.Exists(full) && !Directory.Exists(full))
        {
            return $"names an existing file ('{full}'), not a folder; the outputs are a folder of files.";
        }

        try
        {
            var trials = Directory.CreateDirectory(Path.Combine(full, "trials")).FullName;
            AtomicFile.WriteAllBytes(Path.Combine(trials, ".write-check"), []);
            File.Delete(Path.Combine(trials, ".write-check"));
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot be made or written ('{full}'): {e.Message}";
        }
    }
}
