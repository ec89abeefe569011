using FmriToImage.Samples.Reconstruct;

namespace FmriToImage.Tests.Samples.Reconstruct;

/// <summary>When the main job counts a trial as done (--resume skips it and the report reads it).</summary>
public sealed class TrialOutputsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmri2img-trials-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static TrialResult Record(int candidates, RunIdentity? run) => new(
        "nsd-00013",
        "nsdId 13",
        "CaptionImg2Img",
        0,
        Enumerable.Range(0, candidates).Select(c => new TrialResult.Candidate($"model{c}", 0, 0.5f, null)).ToArray(),
        [],
        1.0,
        run,
        null);

    [Fact]
    public void A_trial_with_a_candidate_image_missing_is_not_done()
    {
        var outputs = new TrialOutputs(_folder, "nsd-00013");
        var record = Record(3, null);
        File.WriteAllBytes(outputs.Final, [1]);
        File.WriteAllBytes(outputs.Candidate(0), [1]);
        File.WriteAllBytes(outputs.Candidate(2), [1]);
        Assert.False(outputs.IsComplete(record));
        File.WriteAllBytes(outputs.Candidate(1), [1]);
        Assert.True(outputs.IsComplete(record));
        Assert.False(outputs.IsComplete(null));
    }

    [Fact]
    public void The_run_identity_survives_the_record_file_and_tells_settings_apart()
    {
        var outputs = new TrialOutputs(_folder, "nsd-00013");
        var identity = new RunIdentity("sha256:ab", new ReconstructionRequest { Pipeline = ReconstructionPipeline.Unclip, Steps = 7, Seed = 3 });
        File.WriteAllText(outputs.Json, System.Text.Json.JsonSerializer.Serialize(Record(1, identity)));
        var stored = outputs.ReadRecord()!.Run;
        Assert.Equal(identity, stored);
        Assert.NotEqual(identity with { Request = identity.Request with { Seed = 4 } }, stored);
        Assert.NotEqual(identity with { Bundle = "sha256:cd" }, stored);
        Assert.Contains("older version", identity.DifferenceFrom(null), StringComparison.Ordinal);
    }

    [Fact]
    public void A_record_made_before_nonfinite_existed_reads_as_error_and_another_mode_is_named()
    {
        var outputs = new TrialOutputs(_folder, "nsd-00013");
        var identity = new RunIdentity("sha256:ab", new ReconstructionRequest { Seed = 3 }, "skip-trial");
        var json = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(Record(1, identity)))!;
        Assert.True(json["Run"]!.AsObject().Remove(nameof(RunIdentity.NonFinite)));
        File.WriteAllText(outputs.Json, json.ToJsonString());

        var stored = outputs.ReadRecord()!.Run!;

        Assert.Equal("error", stored.NonFinite);
        Assert.Equal(identity with { NonFinite = "error" }, stored);
        Assert.Equal("--nonfinite was error, this run asks for skip-trial", identity.DifferenceFrom(stored));
    }

    [Theory]
    [InlineData("record_empty.json")]
    [InlineData("record_truncated.json")]
    [InlineData("record_not_a_record.json")]
    public void A_damaged_record_means_not_done(string hostile)
    {
        // What a kill during the record's write left before records were written atomically
        // (tests/fixtures/make_hostile_fixtures.py): --resume must redo the trial, never crash on it.
        var outputs = new TrialOutputs(_folder, "nsd-00013");
        File.Copy(TestFiles.Fixture("hostile", "trials", hostile), outputs.Json);
        File.WriteAllBytes(outputs.Final, [1]);
        File.WriteAllBytes(outputs.Candidate(0), [1]);
        var record = outputs.ReadRecord();
        Assert.Null(record);
        Assert.False(outputs.IsComplete(record));
    }

    [Fact]
    public void A_record_of_another_trial_or_with_its_chosen_index_outside_the_candidates_means_not_done()
    {
        var outputs = new TrialOutputs(_folder, "nsd-00013");
        File.WriteAllText(outputs.Json, System.Text.Json.JsonSerializer.Serialize(Record(1, null) with { Key = "nsd-00022" }));
        Assert.Null(outputs.ReadRecord());
        var outOfRange = System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(Record(1, null)))!;
        outOfRange["ChosenIndex"] = 1;
        File.WriteAllText(outputs.Json, outOfRange.ToJsonString());
        Assert.Null(outputs.ReadRecord());
        File.WriteAllText(outputs.Json, System.Text.Json.JsonSerializer.Serialize(Record(1, null)));
        Assert.NotNull(outputs.ReadRecord());
    }
}
