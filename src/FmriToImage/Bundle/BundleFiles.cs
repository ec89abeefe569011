using System.Security.Cryptography;

namespace FmriToImage.Bundle;

/// <summary>
/// A bundle's files as <c>fmri_decoder.json</c> vouches for them: <see cref="Verify"/> hashes every listed file and
/// walks the folder for files the list lacks (a pipeline or ONNX Runtime — a graph's external weights — may read any
/// file there); <see cref="Read"/> reads a small file for a pipeline and, once verified, hashes the bytes it read again,
/// so a file changed after the bundle was opened is refused too.
/// </summary>
internal sealed class BundleFiles
{
    /// <summary>How the file system compares paths (case-insensitive on Windows and macOS).</summary>
    private static readonly StringComparer PathComparer = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    private readonly string _root;
    private readonly Func<string, IReadOnlyList<string>> _neededBy;

    /// <summary>The listed files by full path, with their sha256; null until <see cref="Verify"/> ran (checksums off, or no manifest).</summary>
    private Dictionary<string, string>? _listed;

    /// <param name="root">The bundle folder's full path.</param>
    /// <param name="neededBy">The pipelines that need a file (relative path), for <see cref="BundleComponentMissingException"/>.</param>
    public BundleFiles(string root, Func<string, IReadOnlyList<string>> neededBy)
    {
        _root = root;
        _neededBy = neededBy;
    }

    /// <summary>
    /// Checks every file <paramref name="manifest"/> lists against its sha256, then that every file in the folder but
    /// the manifest itself is listed. Links are not followed in the walk but must resolve inside the folder; the file a
    /// link points to is met, and checked, at its own place.
    /// </summary>
    /// <exception cref="BundleComponentMissingException">A listed file does not exist.</exception>
    /// <exception cref="BundleFormatException">A listed path leaves the folder or is a folder, a link leads outside or loops, or a file cannot be read.</exception>
    /// <exception cref="BundleIntegrityException">A file's sha256 differs from the manifest's, or a file is not listed.</exception>
    public void Verify(DecoderManifest manifest, string manifestPath)
    {
        var hashes = new Dictionary<string, string>(PathComparer);
        foreach (var (relative, expected) in manifest.Files)
        {
            var full = BundlePaths.Resolve(_root, relative, manifestPath);
            if (Directory.Exists(full))
            {
                throw new BundleFormatException(manifestPath, $"files lists '{relative}', which is a folder; only files are listed.");
            }

            if (!File.Exists(full))
            {
                throw new BundleComponentMissingException(_root, relative, _neededBy(relative));
            }

            string actual;
            try
            {
                using var stream = File.OpenRead(full);
                actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BundleFormatException(full, $"cannot be read: {e.Message}", e);
            }

            CheckHash(full, expected, actual);
            hashes[full] = expected;
        }

        var folders = new Stack<string>([_root]);
        while (folders.Count > 0)
        {
            var folder = folders.Pop();
            FileSystemInfo[] entries;
            try
            {
                entries = new DirectoryInfo(folder).GetFileSystemInfos();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BundleFormatException(folder, $"the bundle folder cannot be listed: {e.Message}", e);
            }

            foreach (var entry in entries)
            {
                if (entry.LinkTarget is not null)
                {
                    BundlePaths.Resolve(_root, Path.GetRelativePath(_root, entry.FullName), manifestPath);
                }
                else if (entry is DirectoryInfo)
                {
                    folders.Push(entry.FullName);
                }
                else if (!hashes.ContainsKey(entry.FullName) && !PathComparer.Equals(entry.FullName, manifestPath))
                {
                    throw new BundleIntegrityException(entry.FullName);
                }
            }
        }

        _listed = hashes;
    }

    /// <summary>
    /// The content of a bundle file: the path stays inside the folder and names a file (not a folder) of at most
    /// <see cref="BundleJson.MaxConfigBytes"/>; once <see cref="Verify"/> ran, the bytes read must be listed and match
    /// their sha256.
    /// </summary>
    /// <exception cref="BundleComponentMissingException">The file does not exist.</exception>
    /// <exception cref="BundleFormatException">The path leaves the folder or names a folder, the file is too large, or it cannot be read.</exception>
    /// <exception cref="BundleIntegrityException">The bytes differ from the manifest's sha256, or the manifest does not list the file.</exception>
    public byte[] Read(string relativePath)
    {
        var full = BundlePaths.Resolve(_root, relativePath, _root);
        if (Directory.Exists(full))
        {
            throw new BundleFormatException(full, "is a folder; a file is expected.");
        }

        if (!File.Exists(full))
        {
            throw new BundleComponentMissingException(_root, relativePath, _neededBy(relativePath));
        }

        var bytes = ReadSmall(full);
        if (_listed is not null)
        {
            CheckHash(full, _listed.TryGetValue(full, out var expected) ? expected : throw new BundleIntegrityException(full), Convert.ToHexStringLower(SHA256.HashData(bytes)));
        }

        return bytes;
    }

    /// <summary>A small file read whole: one over <see cref="BundleJson.MaxConfigBytes"/> or one that cannot be read is refused.</summary>
    /// <exception cref="BundleFormatException">The file is too large or cannot be read.</exception>
    public static byte[] ReadSmall(string full)
    {
        try
        {
            using var stream = File.OpenRead(full);
            if (stream.Length > BundleJson.MaxConfigBytes)
            {
                throw new BundleFormatException(full, $"is {stream.Length} bytes; a bundle config or table is at most {BundleJson.MaxConfigBytes} bytes.");
            }

            var bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
            return bytes;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BundleFormatException(full, $"cannot be read: {e.Message}", e);
        }
    }

    private static void CheckHash(string full, string expected, string actual)
    {
        if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
        {
            throw new BundleIntegrityException(full, expected.ToLowerInvariant(), actual);
        }
    }
}
