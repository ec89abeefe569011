using FmriToImage.Samples.Reconstruct;

namespace FmriToImage.Tests.Samples.Reconstruct;

/// <summary>--out is checked before anything runs.</summary>
public sealed class OutputFolderTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmri2img-out-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void An_empty_out_is_refused(string output) =>
        Assert.Contains("is empty", OutputFolder.Prepare(output));

    [Fact]
    public void An_existing_file_or_a_device_is_refused()
    {
        var file = Path.Combine(_folder, "metrics.json");
        File.WriteAllText(file, "{}");
        Assert.Contains("names an existing file", OutputFolder.Prepare(file));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Contains("names an existing file", OutputFolder.Prepare("/dev/null"));
        }
    }

    [Fact]
    public void A_folder_below_a_file_is_refused()
    {
        var file = Path.Combine(_folder, "a-file");
        File.WriteAllText(file, "");
        Assert.Contains("cannot be made or written", OutputFolder.Prepare(Path.Combine(file, "out")));
    }

    [Fact]
    public void A_new_folder_is_made_with_its_trials_folder_and_nothing_else()
    {
        var output = Path.Combine(_folder, "out");
        Assert.Null(OutputFolder.Prepare(output));
        Assert.True(Directory.Exists(Path.Combine(output, "trials")));
        Assert.Empty(Directory.GetFiles(output, "*", SearchOption.AllDirectories));
    }
}
