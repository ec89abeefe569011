using System.Diagnostics;

namespace FmriToImage.Benchmarks.Harness;

/// <summary>
/// What one timed trial cost the process besides wall time: CPU seconds of all its threads (ONNX Runtime's workers
/// included), garbage collections per generation, GC pause time and managed bytes allocated — the evidence for why a
/// slow trial is slow (more CPU: own work or spinning; same CPU, more wall: the machine; collections: the GC).
/// </summary>
internal readonly record struct TrialCost(double CpuSeconds, int Gen0, int Gen1, int Gen2, double GcPauseSeconds, long AllocatedBytes)
{
    /// <summary>The process's counters now (take the difference of two).</summary>
    public static TrialCost Now()
    {
        using var process = Process.GetCurrentProcess();
        return new(
            process.TotalProcessorTime.TotalSeconds,
            GC.CollectionCount(0),
            GC.CollectionCount(1),
            GC.CollectionCount(2),
            GC.GetTotalPauseDuration().TotalSeconds,
            GC.GetTotalAllocatedBytes(precise: true));
    }

    public static TrialCost operator -(TrialCost after, TrialCost before) => new(
        after.CpuSeconds - before.CpuSeconds,
        after.Gen0 - before.Gen0,
        after.Gen1 - before.Gen1,
        after.Gen2 - before.Gen2,
        after.GcPauseSeconds - before.GcPauseSeconds,
        after.AllocatedBytes - before.AllocatedBytes);
}
