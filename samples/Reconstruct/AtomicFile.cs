using System.Text;
using FmriToImage.Imaging;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// Writes the job's output files so that a reader — a later <c>--resume</c>, another shard, a browser opening the
/// report — finds either the old content or the new, never a part: the bytes go to a temporary file in the same folder
/// (<c>.&lt;name&gt;.&lt;random&gt;.tmp</c>), are flushed to the disk, and the temporary file is renamed over the target, which
/// on one file system replaces it in one step. A crash or kill leaves at most a temporary file beside the outputs;
/// those are left alone (another shard may be writing its own at that moment) and are never read.
/// </summary>
internal static class AtomicFile
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes <paramref name="bytes"/> as <paramref name="path"/>, whole or not at all.</summary>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        var temporary = TemporaryFor(path);
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            DeleteQuietly(temporary);
            throw;
        }
    }

    /// <summary>Writes <paramref name="bytes"/> as <paramref name="path"/>, whole or not at all; cancelling leaves the old file.</summary>
    public static async Task WriteAllBytesAsync(string path, ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        var temporary = TemporaryFor(path);
        try
        {
            await using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, useAsync: true))
            {
                await stream.WriteAsync(bytes, cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            DeleteQuietly(temporary);
            throw;
        }
    }

    /// <summary>Removes a temporary file after a failed write; a failure here must not hide the write's own error.</summary>
    private static void DeleteQuietly(string temporary)
    {
        try
        {
            File.Delete(temporary);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte order mark), whole or not at all.</summary>
    public static void WriteAllText(string path, string text) => WriteAllBytes(path, Utf8.GetBytes(text));

    /// <summary>Writes <paramref name="text"/> as UTF-8 (no byte order mark), whole or not at all; cancelling leaves the old file.</summary>
    public static Task WriteAllTextAsync(string path, string text, CancellationToken cancellationToken) =>
        WriteAllBytesAsync(path, Utf8.GetBytes(text), cancellationToken);

    /// <summary>Writes <paramref name="image"/> as a PNG file, whole or not at all.</summary>
    public static void WritePng(string path, RgbImage image) => WriteAllBytes(path, image.ToPng());

    private static string TemporaryFor(string path)
    {
        var full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
    }
}
