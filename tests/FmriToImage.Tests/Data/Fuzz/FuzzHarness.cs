using System.Diagnostics;
using Xunit.Abstractions;

namespace FmriToImage.Tests.Data.Fuzz;

/// <summary>
/// Runs a reader over mutants, one at a time on a worker thread, and classifies each outcome: success, a typed
/// <see cref="FmriToImageException"/> (by type), an untyped exception (a failure) or a hang (no end within the
/// per-case timeout: a failure, and the run stops there since the worker is stuck).
/// </summary>
internal sealed class FuzzHarness
{
    /// <summary>
    /// Scales the random cases: <c>FMRI_FUZZ_SCALE=50 dotnet test ... --filter FullyQualifiedName~Fuzz</c> for the long
    /// local run (default 1, the bounded CI run).
    /// </summary>
    public const string ScaleVariable = "FMRI_FUZZ_SCALE";

    /// <summary>The longest one case may take before it counts as a hang (cases take 0.1-2 ms; the slowest seen on a loaded 2-core VM, under 1 s).</summary>
    public static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The hostile files and HDF5 seeds (tests/fixtures/data/hostile).</summary>
    public static string HostileFolder => DataFixtures.Path("hostile");

    public static int Scale => int.TryParse(Environment.GetEnvironmentVariable(ScaleVariable), out int s) && s > 0 ? s : 1;

    /// <summary>The mutants of every seed, the random ones scaled by <see cref="Scale"/>.</summary>
    public static IEnumerable<FuzzCase> Corpus(IEnumerable<string> seeds, Func<string, FuzzProfile> profile)
    {
        int n = 0;
        foreach (string seed in seeds)
        {
            n++;
            foreach (var c in Mutator.Cases(Path.GetFileName(seed), File.ReadAllBytes(seed), profile(seed).Scaled(FuzzHarness.Scale), 17_000 + (n * 7919)))
            {
                yield return c;
            }
        }
    }

    /// <summary>Writes the report to the test output and fails on any untyped exception or hang.</summary>
    public static void Check(ITestOutputHelper output, FuzzReport report)
    {
        output.WriteLine(report.ToString());
        Assert.True(report.Untyped == 0 && report.Hangs == 0, $"{report}\n{string.Join("\n", report.Failures)}");
    }

    /// <summary>Runs <paramref name="read"/> on every case (each written to a scratch file named <c>*<paramref name="extension"/></c>).</summary>
    public static FuzzReport Run(string reader, IEnumerable<FuzzCase> cases, string extension, Action<string> read)
    {
        var report = new FuzzReport(reader);
        string scratch = Path.Combine(Path.GetTempPath(), $"fmri-fuzz-{Environment.ProcessId}-{Guid.NewGuid():N}{extension}");
        using var start = new SemaphoreSlim(0);
        using var done = new SemaphoreSlim(0);
        Exception? outcome = null;
        bool stop = false;
        var worker = new Thread(() =>
        {
            while (true)
            {
                start.Wait();
                if (stop)
                {
                    return;
                }

                try
                {
                    read(scratch);
                    outcome = null;
                }
                catch (Exception e)
                {
                    outcome = e;
                }

                done.Release();
            }
        }) { IsBackground = true, Name = $"fuzz {reader}" };
        worker.Start();
        var total = Stopwatch.StartNew();
        try
        {
            foreach (var c in cases)
            {
                File.WriteAllBytes(scratch, c.Bytes);
                long began = Stopwatch.GetTimestamp();
                start.Release();
                if (!done.Wait(CaseTimeout))
                {
                    report.Hang(c.Name);
                    return report; // the worker is stuck in the reader; nothing more can run on it
                }

                report.Add(c.Name, outcome, Stopwatch.GetElapsedTime(began));
            }

            stop = true;
            start.Release();
        }
        finally
        {
            report.Elapsed = total.Elapsed;
            try
            {
                File.Delete(scratch);
            }
            catch (IOException)
            {
                // a hung worker may still hold it
            }
        }

        return report;
    }
}

/// <summary>The outcome classes of one reader's fuzz run.</summary>
internal sealed class FuzzReport(string reader)
{
    private readonly SortedDictionary<string, int> _classes = new(StringComparer.Ordinal);
    private readonly List<string> _failures = [];

    public string Reader { get; } = reader;

    public int Cases { get; private set; }

    public int Untyped { get; private set; }

    public int Hangs { get; private set; }

    public TimeSpan Slowest { get; private set; }

    public string SlowestCase { get; private set; } = "";

    public TimeSpan Elapsed { get; set; }

    public IReadOnlyDictionary<string, int> Classes => _classes;

    public IReadOnlyList<string> Failures => _failures;

    public void Add(string name, Exception? outcome, TimeSpan took)
    {
        Cases++;
        if (took > Slowest)
        {
            Slowest = took;
            SlowestCase = name;
        }

        string cls = outcome switch
        {
            null => "success",
            FmriToImageException e => e.GetType().Name,
            _ => "UNTYPED " + outcome.GetType().Name,
        };
        _classes[cls] = _classes.GetValueOrDefault(cls) + 1;
        if (outcome is not null and not FmriToImageException)
        {
            Untyped++;
            if (_failures.Count < 10)
            {
                _failures.Add($"{name}: {outcome}");
            }
        }
    }

    public void Hang(string name)
    {
        Cases++;
        Hangs++;
        _classes["HANG"] = _classes.GetValueOrDefault("HANG") + 1;
        _failures.Add($"{name}: no end within {FuzzHarness.CaseTimeout.TotalMilliseconds} ms");
    }

    public override string ToString() =>
        $"{Reader}: {Cases} cases in {Elapsed.TotalSeconds:F1} s (slowest {Slowest.TotalMilliseconds:F0} ms: {SlowestCase}); " +
        string.Join(", ", _classes.Select(kv => $"{kv.Key} {kv.Value}"));
}
