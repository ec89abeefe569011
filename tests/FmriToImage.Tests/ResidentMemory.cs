using System.Diagnostics;

namespace FmriToImage.Tests;

/// <summary>The process's resident size after a full garbage collection, for the leak tests' before/after bounds.</summary>
internal static class ResidentMemory
{
    public static long Bytes()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
