using FmriToImage.Samples.Reconstruct;

namespace FmriToImage.Tests.Samples.Reconstruct;

/// <summary>Which shard a Slurm array task takes from its environment when --shard is not given.</summary>
public sealed class SlurmArrayShardTests
{
    private static Func<string, string?> Environment(int id, int min, int max, int count, int? step) =>
        new Dictionary<string, string?>
        {
            ["SLURM_ARRAY_TASK_ID"] = id.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SLURM_ARRAY_TASK_MIN"] = min.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SLURM_ARRAY_TASK_MAX"] = max.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SLURM_ARRAY_TASK_COUNT"] = count.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["SLURM_ARRAY_TASK_STEP"] = step?.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }.GetValueOrDefault;

    [Fact]
    public void Outside_an_array_task_there_is_no_shard_and_no_error()
    {
        Assert.Null(SlurmArrayShard.Read(_ => null, out var error));
        Assert.Null(error);
    }

    [Theory]
    [InlineData(0, 2, 1)] // --array=0-2
    [InlineData(1, 3, 1)] // --array=1-3: ids from 1
    [InlineData(4, 12, 4)] // --array=4-12:4
    [InlineData(7, 7, 1)] // --array=7: one task, one shard
    public void Every_task_of_an_evenly_stepped_array_takes_its_own_shard_and_together_they_take_all(int min, int max, int step)
    {
        var count = ((max - min) / step) + 1;
        var shards = new List<int>();
        for (var id = min; id <= max; id += step)
        {
            var shard = SlurmArrayShard.Read(Environment(id, min, max, count, step), out var error);
            Assert.Null(error);
            Assert.NotNull(shard);
            Assert.Equal(count, shard.Count);
            shards.Add(shard.Index);
        }

        Assert.Equal(Enumerable.Range(0, (int)count), shards);
    }

    [Fact]
    public void A_range_without_a_step_variable_steps_by_one()
    {
        var shard = SlurmArrayShard.Read(Environment(12, 10, 13, 4, null), out var error);
        Assert.Null(error);
        Assert.Equal((2, 4), (shard!.Index, shard.Count));
        Assert.Contains("SLURM_ARRAY_TASK_ID=12", shard.Source, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2, 0, 7, 3, 1)] // --array=0,2,7: a list, not one range
    [InlineData(2, 0, 7, 3, null)] // the same without a step variable
    [InlineData(3, 1, 7, 4, 1)] // --array=1,3,5,7: Slurm 22.05 sets STEP=1 for any list
    [InlineData(4, 1, 7, 4, 2)] // an id off the step
    [InlineData(9, 0, 7, 8, 1)] // an id outside the range
    [InlineData(0, 0, 6, 3, 4)] // a step that does not end on the maximum
    public void Arrays_whose_ids_do_not_name_the_shards_are_refused_with_the_variables(int id, int min, int max, int count, int? step)
    {
        Assert.Null(SlurmArrayShard.Read(Environment(id, min, max, count, step), out var error));
        Assert.NotNull(error);
        Assert.Contains($"SLURM_ARRAY_TASK_ID={id}", error, StringComparison.Ordinal);
        Assert.Contains("--shard i/n", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("SLURM_ARRAY_TASK_COUNT", null)]
    [InlineData("SLURM_ARRAY_TASK_MIN", "-1")]
    [InlineData("SLURM_ARRAY_TASK_MAX", "x")]
    public void A_variable_missing_or_not_a_number_is_named(string name, string? value)
    {
        var environment = Environment(1, 0, 2, 3, 1);
        Assert.Null(SlurmArrayShard.Read(n => n == name ? value : environment(n), out var error));
        Assert.StartsWith($"{name} is '{value}'", error, StringComparison.Ordinal);
    }
}
