using System.Globalization;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// The shard a Slurm array task takes when --shard is not given: task <c>SLURM_ARRAY_TASK_ID</c> of an array submitted
/// as <c>--array=MIN-MAX[:STEP]</c> is shard (ID − MIN) / STEP of <c>SLURM_ARRAY_TASK_COUNT</c>. Arrays whose task ids
/// are not one evenly stepped range (<c>--array=0,2,7</c>) are refused: their ids do not say which shards exist.
/// </summary>
/// <param name="Index">The 0-based shard.</param>
/// <param name="Count">The number of shards (the array's task count).</param>
/// <param name="Source">The variables it was read from, for the console.</param>
internal sealed record SlurmArrayShard(int Index, int Count, string Source)
{
    /// <summary>The variable whose presence makes a process an array task.</summary>
    public const string TaskIdVariable = "SLURM_ARRAY_TASK_ID";

    /// <summary>
    /// Reads the shard from <paramref name="variable"/> (the process environment, or a test's table): null with a null
    /// <paramref name="error"/> when <see cref="TaskIdVariable"/> is unset (not an array task); null with an
    /// <paramref name="error"/> naming the variables when they do not describe one evenly stepped range.
    /// </summary>
    public static SlurmArrayShard? Read(Func<string, string?> variable, out string? error)
    {
        error = null;
        if (string.IsNullOrEmpty(variable(TaskIdVariable)))
        {
            return null;
        }

        var names = new[] { TaskIdVariable, "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_MAX", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_STEP" };
        var values = new long[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            var text = variable(names[i]);
            if (string.IsNullOrEmpty(text) && i == names.Length - 1)
            {
                values[i] = 1; // no step: a plain MIN-MAX range or a list, told apart by the count below
            }
            else if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out values[i]))
            {
                error = $"{names[i]} is '{text}', not a whole number ≥ 0; this job takes its shard from the Slurm array's variables when --shard is not given.";
                return null;
            }
        }

        var (id, min, max, count, step) = (values[0], values[1], values[2], values[3], values[4]);
        var source = $"{TaskIdVariable}={id} of {count} tasks ({min}–{max}, step {step})";
        if (step < 1 || count < 1 || id < min || id > max || (id - min) % step != 0 || (max - min) / step + 1 != count || (max - min) % step != 0 || count > int.MaxValue)
        {
            error = $"the Slurm array's task ids are not one evenly stepped range that holds this task: {string.Join(", ", names.Select((n, i) => $"{n}={variable(n) ?? "unset"}"))}. "
                + "Submit the array as --array=0-<shards−1> (any MIN and :STEP work, a list such as 0,2,7 does not), or pass --shard i/n.";
            return null;
        }

        return new SlurmArrayShard((int)((id - min) / step), (int)count, source);
    }
}
