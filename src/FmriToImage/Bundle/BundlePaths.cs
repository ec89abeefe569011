namespace FmriToImage.Bundle;

/// <summary>Resolves paths named inside a bundle and refuses any that would leave the bundle folder.</summary>
internal static class BundlePaths
{
    /// <summary>Links followed before a path counts as a loop (as the Linux kernel's limit).</summary>
    private const int MaxLinkHops = 40;

    /// <summary>U+0000 to U+001F and U+007F: never in a bundle path (NUL even ends a path in the operating system's calls).</summary>
    private static readonly char[] ControlCharacters = [.. Enumerable.Range(0, 32).Select(c => (char)c), '\u007F'];

    /// <summary>
    /// The full path of <paramref name="relativePath"/> inside <paramref name="root"/>. Refuses absolute paths, paths
    /// whose normalised form leaves the folder (<c>..</c>), and paths whose real location — every link on the way
    /// followed, however they chain — is outside the folder's real location. An existing path of 0 bytes is refused too:
    /// an empty file, or a FIFO or device that would block or never end when read.
    /// </summary>
    /// <exception cref="BundleFormatException">The path leaves the bundle folder or names a 0-byte file.</exception>
    public static string Resolve(string root, string relativePath, string namedIn)
    {
        if (string.IsNullOrWhiteSpace(relativePath))
        {
            throw new BundleFormatException(namedIn, "an empty path is named where a file inside the bundle is expected.");
        }

        var control = relativePath.IndexOfAny(ControlCharacters);
        if (control >= 0)
        {
            throw new BundleFormatException(namedIn, $"path '{Escaped(relativePath)}' holds the control character U+{(int)relativePath[control]:X4} at index {control}; paths in a bundle are plain relative file names.");
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

        var realRoot = RealPath(root, namedIn);
        var real = RealPath(full, namedIn);
        if (!IsInside(realRoot, real))
        {
            throw new BundleFormatException(namedIn, $"path '{relativePath}' goes through a link and really points to '{real}', outside the bundle folder '{realRoot}'.");
        }

        // A FIFO or a device at a bundle path would block or never end when opened; both report 0 bytes, as does an
        // empty file, which no bundle file may be either. So a 0-byte path is refused before anything opens it.
        if (File.Exists(full) && new FileInfo(full).Length == 0)
        {
            throw new BundleFormatException(namedIn, $"path '{relativePath}' is empty (0 bytes) or not a regular file (a FIFO or a device, which report 0 bytes); every bundle file has content.");
        }

        return full;
    }

    /// <summary>The path with its control characters written as \uXXXX, for a message.</summary>
    private static string Escaped(string path) =>
        string.Concat(path.Select(c => char.IsControl(c) ? $"\\u{(int)c:X4}" : c.ToString()));

    /// <summary>True when <paramref name="path"/> is <paramref name="root"/> or below it.</summary>
    public static bool IsInside(string root, string path)
    {
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var rootWithSeparator = Path.TrimEndingDirectorySeparator(root) + Path.DirectorySeparatorChar;
        return path.StartsWith(rootWithSeparator, comparison) || string.Equals(Path.TrimEndingDirectorySeparator(path), Path.TrimEndingDirectorySeparator(root), comparison);
    }

    /// <summary>
    /// The real location of <paramref name="path"/>: walks it one component at a time from the file-system root, and
    /// when a component is a link, continues from the link's target (resolved the same way), so links inside link
    /// targets and <c>..</c> after a link are handled as the operating system handles them. Components that do not
    /// exist are kept as they are.
    /// </summary>
    /// <exception cref="BundleFormatException">More than 40 links were followed (a loop).</exception>
    internal static string RealPath(string path, string namedIn)
    {
        var full = Path.GetFullPath(path);
        var current = Path.GetPathRoot(full)!;
        var pending = new Stack<string>(full[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse());
        var hops = 0;
        while (pending.Count > 0)
        {
            var part = pending.Pop();
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                current = Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(current)) ?? current;
                continue;
            }

            var next = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            var target = info.Exists ? info.LinkTarget : null;
            if (target is null)
            {
                current = next;
                continue;
            }

            if (++hops > MaxLinkHops)
            {
                throw new BundleFormatException(namedIn, $"more than {MaxLinkHops} links are followed resolving '{path}' (a link loop).");
            }

            if (Path.IsPathRooted(target))
            {
                current = Path.GetPathRoot(target)!;
                target = target[current.Length..];
            }

            foreach (var piece in target.Split(['/', Path.DirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries).Reverse())
            {
                pending.Push(piece);
            }
        }

        return current;
    }
}
