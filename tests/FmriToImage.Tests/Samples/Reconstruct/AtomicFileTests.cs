using FmriToImage.Samples.Reconstruct;

namespace FmriToImage.Tests.Samples.Reconstruct;

/// <summary>The main job's output files are replaced whole or not at all.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmri2img-atomic-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_write_replaces_the_file_and_leaves_no_temporary_file()
    {
        var path = Path.Combine(_folder, "metrics.json");
        File.WriteAllText(path, "old");
        AtomicFile.WriteAllText(path, "{\"trials\": \"3\"}");
        Assert.Equal("{\"trials\": \"3\"}", File.ReadAllText(path));
        Assert.Equal(["metrics.json"], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_cancelled_write_leaves_the_old_file_and_no_temporary_file()
    {
        var path = Path.Combine(_folder, "nsd-00013.json");
        File.WriteAllText(path, "old");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AtomicFile.WriteAllTextAsync(path, "new", cancelled.Token));
        Assert.Equal("old", File.ReadAllText(path));
        Assert.Equal(["nsd-00013.json"], Directory.GetFiles(_folder).Select(Path.GetFileName));
    }

    [Fact]
    public void A_failed_write_leaves_the_old_file()
    {
        // The target is a folder: the rename fails after the temporary file was written; the temporary file goes.
        var path = Directory.CreateDirectory(Path.Combine(_folder, "grid.png")).FullName;
        Assert.ThrowsAny<IOException>(() => AtomicFile.WriteAllBytes(path, [1, 2, 3]));
        Assert.True(Directory.Exists(path));
        Assert.Empty(Directory.GetFiles(_folder));
    }
}
