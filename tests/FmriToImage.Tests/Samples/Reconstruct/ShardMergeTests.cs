using System.Text.Json;
using FmriToImage.Samples.Reconstruct;

namespace FmriToImage.Tests.Samples.Reconstruct;

/// <summary>When --merge refuses a sharded run's output folder, and what it says.</summary>
public sealed class ShardMergeTests : IDisposable
{
    private static readonly RunIdentity Identity = new("sha256:ab", new ReconstructionRequest { Seed = 3 });

    private readonly string _folder = Directory.CreateTempSubdirectory("fmri2img-merge-").FullName;

    private readonly TrialOutputs[] _outputs;

    public ShardMergeTests()
    {
        var trials = Directory.CreateDirectory(Path.Combine(_folder, "trials")).FullName;
        _outputs = Enumerable.Range(0, 6).Select(k => new TrialOutputs(trials, $"nsd-{k:D5}")).ToArray();
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private void Finish(int k, RunIdentity? run)
    {
        var files = _outputs[k];
        File.WriteAllBytes(files.Final, [1]);
        File.WriteAllBytes(files.Candidate(0), [1]);
        var record = new TrialResult(files.Key, files.Key, "CaptionImg2Img", 0, [new TrialResult.Candidate("model0", 0, 0.5f, null)], [], 1.0, run, null);
        File.WriteAllText(files.Json, JsonSerializer.Serialize(record));
    }

    [Fact]
    public void Every_trial_done_by_this_run_merges()
    {
        for (var k = 0; k < _outputs.Length; k++)
        {
            Finish(k, Identity);
        }

        Assert.Null(ShardMerge.Refusal(_folder, _outputs, Identity));
    }

    [Fact]
    public void Trials_not_done_are_refused_with_their_keys_and_the_shards_that_have_not_finished()
    {
        // Shards of 3: shard 1 (trials 1, 4) finished and wrote its metrics; shards 0 and 2 did not.
        foreach (var k in new[] { 1, 4, 3 })
        {
            Finish(k, Identity);
        }

        File.WriteAllText(Path.Combine(_folder, "metrics.shard1of3.json"), "{}");
        File.Delete(_outputs[3].Candidate(0)); // a record without its image is not done either
        var refusal = ShardMerge.Refusal(_folder, _outputs, Identity);
        Assert.NotNull(refusal);
        Assert.Contains("4 of 6 trials", refusal, StringComparison.Ordinal);
        Assert.Contains("nsd-00000, nsd-00002, nsd-00003, nsd-00005", refusal, StringComparison.Ordinal);
        Assert.Contains("shards 0/3, 2/3 have not finished", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void Shard_outputs_of_different_splits_are_named_as_such()
    {
        File.WriteAllText(Path.Combine(_folder, "metrics.shard0of3.json"), "{}");
        File.WriteAllText(Path.Combine(_folder, "metrics.shard1of4.json"), "{}");
        var refusal = ShardMerge.Refusal(_folder, _outputs, Identity);
        Assert.Contains("6 of 6 trials", refusal, StringComparison.Ordinal);
        Assert.Contains("2 different splits (of 3, of 4)", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void A_trial_of_another_run_is_refused_even_when_all_are_done()
    {
        for (var k = 0; k < _outputs.Length; k++)
        {
            Finish(k, k == 4 ? Identity with { Request = Identity.Request with { Seed = 4 } } : Identity);
        }

        var refusal = ShardMerge.Refusal(_folder, _outputs, Identity);
        Assert.NotNull(refusal);
        Assert.Contains(_outputs[4].Json, refusal, StringComparison.Ordinal);
        Assert.Contains("--seed was 4, this run asks for 3", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void A_trial_of_another_bundle_or_an_older_version_is_refused()
    {
        for (var k = 0; k < _outputs.Length; k++)
        {
            Finish(k, Identity);
        }

        Finish(2, Identity with { Bundle = "sha256:cd" });
        Assert.Contains("bundle sha256:cd", ShardMerge.Refusal(_folder, _outputs, Identity), StringComparison.Ordinal);
        Finish(2, null);
        Assert.Contains("older version", ShardMerge.Refusal(_folder, _outputs, Identity), StringComparison.Ordinal);
    }
}
