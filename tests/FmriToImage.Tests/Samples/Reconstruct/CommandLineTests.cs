using FmriToImage.Samples.Reconstruct;

namespace FmriToImage.Tests.Samples.Reconstruct;

/// <summary>The job's own command-line values: rows, image ids, library messages in option names, shuffled pairs.</summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmri2img-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Rows_are_ranges_and_single_rows_each_once()
    {
        Assert.Equal([0, 1, 2, 15, 20, 21], RowSelection.Parse("0-2,15, 20-21"));
        Assert.Contains("--rows", Assert.Throws<UsageException>(() => RowSelection.Parse("3-1")).Message);
        Assert.Contains("named twice", Assert.Throws<UsageException>(() => RowSelection.Parse("1,0-2")).Message);
        Assert.Contains("'x'", Assert.Throws<UsageException>(() => RowSelection.Parse("1,x")).Message);
    }

    [Fact]
    public void Image_ids_come_from_a_list_a_plain_file_or_a_row_image_csv()
    {
        Assert.Equal("b", GroundTruthImages.ReadIds("a, b,c")[1]);
        var plain = Path.Combine(_folder, "ids.txt");
        File.WriteAllLines(plain, ["13", "22", ""]);
        Assert.Equal(new Dictionary<int, string> { [0] = "13", [1] = "22" }, GroundTruthImages.ReadIds(plain));
        var csv = Path.Combine(_folder, "map.csv");
        File.WriteAllLines(csv, ["row,image", "5,coco_1", "2,coco_9"]);
        Assert.Equal(new Dictionary<int, string> { [5] = "coco_1", [2] = "coco_9" }, GroundTruthImages.ReadIds(csv));
        File.WriteAllLines(csv, ["row,image", "5,coco_1", "5,coco_9"]);
        Assert.Contains("mapped twice", Assert.Throws<UsageException>(() => GroundTruthImages.ReadIds(csv)).Message);
        Assert.Contains("does not exist", Assert.Throws<UsageException>(() => GroundTruthImages.ReadIds(Path.Combine(_folder, "none.csv"))).Message);
    }

    [Fact]
    public void A_folder_id_names_one_image_file()
    {
        new FmriToImage.Imaging.RgbImage(2, 2).SavePng(Path.Combine(_folder, "coco_1.png"));
        Assert.Single(GroundTruthImages.Load(_folder, "coco_1", [0]));
        var e = Assert.Throws<UsageException>(() => GroundTruthImages.Load(_folder, "coco_2", [0]));
        Assert.Contains("no PNG or JPEG named 'coco_2'", e.Message);
        Assert.Contains("names no image for trial row 1", Assert.Throws<UsageException>(() => GroundTruthImages.Load(_folder, "coco_1", [1])).Message);
    }

    [Fact]
    public void Library_request_errors_name_the_option()
    {
        var e = new ArgumentOutOfRangeException("request", 5000, "ReconstructionRequest.Steps is 5000; it must lie in [1, 1000].");
        Assert.Equal("--steps is 5000; it must lie in [1, 1000].", OptionValues.RequestMessage(e));
    }

    [Fact]
    public void Every_library_pipeline_has_one_command_line_name_and_an_unmapped_name_fails_loudly()
    {
        Assert.Equal(Enum.GetValues<ReconstructionPipeline>().Order(), OptionValues.PipelineNames.Select(p => p.Pipeline).Order());
        Assert.Equal(OptionValues.Pipelines, OptionValues.PipelineNames.Select(p => p.Name));
        Assert.Equal(ReconstructionPipeline.Unclip, OptionValues.PipelineFor("unclip"));
        Assert.Equal(ReconstructionPipeline.CaptionImg2Img, OptionValues.PipelineFor("caption-img2img"));
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => OptionValues.PipelineFor("text-to-image"));
        Assert.Contains("'text-to-image'", e.Message);
    }

    [Fact]
    public void Close_names_are_suggested()
    {
        Assert.True(OptionValues.Distance("unclip", "unclp") < OptionValues.Distance("caption-img2img", "unclp"));
        Assert.Equal(0, OptionValues.Distance("unclip", "unclip"));
    }

    [Theory]
    [InlineData(2, 0UL)]
    [InlineData(7, 1UL)]
    [InlineData(300, 42UL)]
    public void Shuffled_pairs_never_pair_a_trial_with_its_own_image(int count, ulong seed)
    {
        var order = RunEvaluation.Derangement(count, seed);
        Assert.Equal(Enumerable.Range(0, count), order.Order());
        Assert.All(Enumerable.Range(0, count), i => Assert.NotEqual(i, order[i]));
        Assert.Equal(order, RunEvaluation.Derangement(count, seed));
    }
}
