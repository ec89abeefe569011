using System.Diagnostics;

namespace FmriToImage.Pipelines;

/// <summary>Wall time per pipeline stage, in execution order, for <see cref="Reconstructions.Reconstruction.Timings"/>.</summary>
internal sealed class StageClock
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<KeyValuePair<string, TimeSpan>> _timings;

    /// <summary>Starts a clock whose record begins with <paramref name="earlier"/> (stages timed elsewhere), if any.</summary>
    public StageClock(IEnumerable<KeyValuePair<string, TimeSpan>>? earlier = null)
    {
        _timings = earlier is null ? [] : [.. earlier];
    }

    public IReadOnlyList<KeyValuePair<string, TimeSpan>> Timings => _timings;

    /// <summary>Records the time since the previous lap under <paramref name="stage"/>.</summary>
    public void Lap(string stage)
    {
        _timings.Add(new(stage, _clock.Elapsed));
        _clock.Restart();
    }
}
