using System.Text.Json.Nodes;
using FmriToImage.Data;
using FmriToImage.Data.Npy;
using FmriToImage.Imaging;
using FmriToImage.Samples.Reconstruct;

namespace FmriToImage.Tests.Samples.Reconstruct;

/// <summary>
/// <c>--nonfinite error|zero|skip-trial</c> end to end on a trial file with a NaN row and an infinite voxel, as a
/// MindEye2 renorm file has them: the fixture is written here (6 rows of the tiny fixture bundle's 100 voxels, row 2
/// all NaN, row 4 +∞ at voxel 7, each row seeing its own image). zero must equal a run on the file with those values set
/// to 0; skip-trial must equal a run on the file without rows 2 and 4, with the images of rows 0, 1, 3, 5 — so the ground
/// truth stays with its rows.
/// </summary>
public sealed class NonFiniteTests : IDisposable
{
    private const int Rows = 6;
    private const int Voxels = 100; // tests/fixtures/bundle/tiny's voxel_count
    private const int NanRow = 2;
    private const int InfiniteRow = 4;

    private readonly string _folder = Directory.CreateTempSubdirectory("fmri2img-nonfinite-").FullName;
    private readonly float[] _values;

    public NonFiniteTests()
    {
        var random = new Random(18);
        _values = Enumerable.Range(0, Rows * Voxels).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
        _values.AsSpan(NanRow * Voxels, Voxels).Fill(float.NaN);
        _values[InfiniteRow * Voxels + 7] = float.PositiveInfinity;
        NpyFile.Write(TrialsFile, _values, [Rows, Voxels]);
        Directory.CreateDirectory(Images);
        for (var r = 0; r < Rows; r++)
        {
            // A different picture per row, so a trial scored against another row's image scores differently.
            var image = new RgbImage(32, 32);
            for (var i = 0; i < image.Pixels.Length; i++)
            {
                image.Pixels[i] = (byte)((i * (r + 3) + 40 * r) % 256);
            }

            image.SavePng(Path.Combine(Images, $"img{r}.png"));
        }

        File.WriteAllLines(IdsFile, ["row,image", .. Enumerable.Range(0, Rows).Select(r => $"{r},img{r}")]);
    }

    private string TrialsFile => Path.Combine(_folder, "trials.npy");

    private string Images => Path.Combine(_folder, "images");

    private string IdsFile => Path.Combine(_folder, "ids.csv");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void By_default_a_nan_row_exits_4_naming_the_row_voxel_and_the_option_to_pass()
    {
        var (code, output, errors) = Run(TrialsFile, IdsFile, "out");

        Assert.True(code == 4, $"exit {code}:\n{output}{errors}");
        Assert.Contains($"row {NanRow}, voxel 0 is NaN or infinite", errors, StringComparison.Ordinal);
        Assert.Contains("--nonfinite zero", errors, StringComparison.Ordinal);
        Assert.Contains("--nonfinite skip-trial", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("NonFiniteHandling", output + errors, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(Path.Combine(_folder, "out", "trials")));
    }

    [Fact]
    public void Zero_gives_the_run_of_the_file_with_its_non_finite_values_set_to_0()
    {
        var zeroed = Path.Combine(_folder, "zeroed.npy");
        NpyFile.Write(zeroed, _values.Select(v => float.IsFinite(v) ? v : 0f).ToArray(), [Rows, Voxels]);

        var run = Succeed(TrialsFile, IdsFile, "zero", "--nonfinite", "zero");
        var reference = Succeed(zeroed, IdsFile, "zeroed");

        Assert.Equal("zero", Settings(run)["nonfinite"]!.GetValue<string>());
        Assert.Empty(Settings(run)["skipped_rows"]!.AsArray());
        Assert.Equal(Rows, Metrics(run)["trials"]!.GetValue<int>());
        Assert.True(JsonNode.DeepEquals(Metrics(reference)["metrics"], Metrics(run)["metrics"]));
        Assert.Equal(Lines(reference).Select(Stable), Lines(run).Select(Stable));
    }

    [Fact]
    public void Skip_trial_leaves_out_the_rows_and_keeps_each_remaining_row_with_its_own_image()
    {
        int[] kept = [0, 1, 3, 5];
        var without = Path.Combine(_folder, "without.npy");
        NpyFile.Write(without, kept.SelectMany(r => _values.Skip(r * Voxels).Take(Voxels)).ToArray(), [kept.Length, Voxels]);

        var run = Succeed(TrialsFile, IdsFile, "skip", "--nonfinite", "skip-trial");
        var reference = Succeed(without, string.Join(",", kept.Select(r => $"img{r}")), "without");

        Assert.Contains($"left out 2 of {Rows} rows", run.Errors, StringComparison.Ordinal);
        Assert.Contains($"rows {NanRow},{InfiniteRow}.", run.Errors, StringComparison.Ordinal);
        Assert.Equal("skip-trial", Settings(run)["nonfinite"]!.GetValue<string>());
        Assert.Equal([NanRow, InfiniteRow], Settings(run)["skipped_rows"]!.AsArray().Select(n => n!.GetValue<int>()));
        Assert.Equal(kept.Select(r => $"row-{r:D6}"), Lines(run).Select(l => l["key"]!.GetValue<string>()));
        Assert.Equal(kept.Select(r => $"row {r}, image img{r}"), Lines(run).Select(l => l["label"]!.GetValue<string>()));

        // The same trials with the same images: the same per-trial metrics and table as the file without those rows.
        Assert.True(JsonNode.DeepEquals(Metrics(reference)["metrics"], Metrics(run)["metrics"]));
        Assert.Equal(Lines(reference).Select(l => l["metrics"]!.ToJsonString()), Lines(run).Select(l => l["metrics"]!.ToJsonString()));
        Assert.Equal(Lines(reference).Select(l => l["chosen"]!.ToJsonString()), Lines(run).Select(l => l["chosen"]!.ToJsonString()));
    }

    [Fact]
    public void Resume_with_another_nonfinite_mode_is_refused_naming_it()
    {
        Succeed(TrialsFile, IdsFile, "resumed", "--nonfinite", "skip-trial");

        var (code, output, errors) = Run(TrialsFile, IdsFile, "resumed", "--nonfinite", "zero", "--resume");

        Assert.True(code == 2, $"exit {code}:\n{output}{errors}");
        Assert.Contains("--nonfinite was skip-trial, this run asks for zero", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Skip_trial_with_rows_and_limit_keeps_the_file_rows_voxels_and_images_together()
    {
        using var decoder = BrainDecoder.Load(TestFiles.Fixture("bundle", "tiny"));
        var images = Enumerable.Range(0, Rows).Select(r => RgbImage.Load(Path.Combine(Images, $"img{r}.png")).Pixels.ToArray()).ToArray();

        foreach (var (rows, limit, kept, skipped) in new (int[]? Rows, int? Limit, int[] Kept, int[] Skipped)[]
        {
            (null, null, [0, 1, 3, 5], [NanRow, InfiniteRow]),
            (null, 3, [0, 1], [NanRow]),
            ([5, 2, 4, 1], null, [5, 1], [NanRow, InfiniteRow]),
            ([5, 2, 4, 1], 2, [5], [NanRow]),
        })
        {
            var set = await TrialSet.LoadAsync(TrialsFile, decoder, 1, limit, null, rows, Images, IdsFile, NonFiniteHandling.SkipTrial, CancellationToken.None);

            Assert.Equal(kept.Select(r => $"row-{r:D6}"), set.Keys);
            Assert.Equal(skipped, set.SkippedRows);
            for (var i = 0; i < kept.Length; i++)
            {
                Assert.Equal(_values.AsSpan(kept[i] * Voxels, Voxels).ToArray(), set.Voxels.Row(i).ToArray());
                Assert.Equal(images[kept[i]], set.GroundTruth![i].Pixels.ToArray());
            }
        }
    }

    [Fact]
    public void Row_lists_print_as_rows_reads_them()
    {
        Assert.Equal("2,5,7-9", RowSelection.Format([2, 5, 7, 8, 9]));
        Assert.Equal([2, 5, 7, 8, 9], RowSelection.Parse(RowSelection.Format([2, 5, 7, 8, 9])));
        Assert.Equal("", RowSelection.Format([]));
    }

    private static JsonObject Settings((int Code, string Out, string Errors, string Folder) run) => Metrics(run)["run"]!["settings"]!.AsObject();

    private static JsonObject Metrics((int Code, string Out, string Errors, string Folder) run) =>
        JsonNode.Parse(File.ReadAllText(Path.Combine(run.Folder, "metrics.json")))!.AsObject();

    private static JsonObject[] Lines((int Code, string Out, string Errors, string Folder) run) =>
        File.ReadAllLines(Path.Combine(run.Folder, "trials.jsonl")).Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();

    /// <summary>A trials.jsonl line without its wall-clock time.</summary>
    private static string Stable(JsonObject line)
    {
        var copy = line.DeepClone().AsObject();
        copy.Remove("seconds");
        return copy.ToJsonString();
    }

    private (int Code, string Out, string Errors) Run(string data, string imageIds, string output, params string[] more) =>
        ReconstructProcess.Run(TestFiles.RepositoryRoot, [
            "--bundle", TestFiles.Fixture("bundle", "tiny"), "--data", data, "--images", Images, "--image-ids", imageIds,
            "--out", Path.Combine(_folder, output), .. more]);

    private (int Code, string Out, string Errors, string Folder) Succeed(string data, string imageIds, string output, params string[] more)
    {
        var (code, stdout, errors) = Run(data, imageIds, output, more);
        Assert.True(code == 0, $"{string.Join(' ', more)}: exit {code}:\n{stdout}{errors}");
        return (code, stdout, errors, Path.Combine(_folder, output));
    }
}
