using System.Globalization;

namespace FmriToImage.Benchmarks.Harness;

/// <summary>The process's resident memory as Linux reports it in /proc/self/status.</summary>
internal static class ProcessMemory
{
    /// <summary>VmRSS, VmHWM (the process's peak resident set) and RssFile (memory-mapped file pages), in bytes.</summary>
    public static (long Rss, long Peak, long File) Read()
    {
        long rss = 0, peak = 0, file = 0;
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = Kilobytes(line);
            }
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                peak = Kilobytes(line);
            }
            else if (line.StartsWith("RssFile:", StringComparison.Ordinal))
            {
                file = Kilobytes(line);
            }
        }

        return (rss, peak, file);
    }

    private static long Kilobytes(string line) =>
        long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
}
