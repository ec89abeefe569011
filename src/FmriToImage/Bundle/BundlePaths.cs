namespace FmriToImage.Bundle;

/// <summary>Resolves paths named inside a bundle and refuses any that would leave the bundle folder.</summary>
internal static class BundlePaths
{
    /// <summary>
    /// The full path of <paramref name="relativePath"/> inside <paramref name="root"/>. Refuses absolute paths, paths
    /// whose normalised form leaves the folder (<c>..</c>), and existing files or folders on the way that are links
    /// resolving outside it.
    /// </summary>
    /// <exception cref="BundleFormatException">The path leaves the bundle folder.</exception>
    public static string Resolve(string root, string relativePath, string namedIn)
    {
        if (string.IsNullOrWhiteSpace(relativePath))
        {
            throw new BundleFormatException(namedIn, "an empty path is named where a file inside the bundle is expected.");
        }

        if (Path.IsPathRooted(relativePath) || relativePath.Contains(':', StringComparison.Ordinal))
        {
            throw new BundleFormatException(namedIn, $"path '{relativePath}' is absolute; paths in a bundle must be relative to the bundle folder.");
        }

        var full = Path.GetFullPath(Path.Combine(root, relativePath));
        if (!IsInside(root, full))
        {
            throw new BundleFormatException(namedIn, $"path '{relativePath}' leaves the bundle folder '{root}'.");
        }

        // Every existing part of the path must stay inside after following links.
        var current = root;
        foreach (var part in Path.GetRelativePath(root, full).Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            current = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (!info.Exists || info.LinkTarget is null)
            {
                continue;
            }

            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            if (target is null || !IsInside(root, Path.GetFullPath(target.FullName)))
            {
                throw new BundleFormatException(namedIn, $"path '{relativePath}' goes through the link '{current}', which points outside the bundle folder (to '{info.LinkTarget}').");
            }
        }

        return full;
    }

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or below it.</summary>
    public static bool IsInside(string root, string path)
    {
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var rootWithSeparator = Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar;
        return path.StartsWith(rootWithSeparator, comparison) || string.Equals(Path.TrimEndingDirectorySeparator(path), Path.TrimEndingDirectorySeparator(root), comparison);
    }
}
