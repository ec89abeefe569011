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

    /// <summary>
    /// Runs <paramref name="read"/> on every case (each written to a scratch file named <c>*<paramref name="extension"/></c>)
    /// on a worker thread, while this thread watches the case in progress: one that runs past <see cref="CaseTimeout"/>
    /// is a hang, and ends the run (the worker stays stuck in the reader).
    /// </summary>
    public static FuzzReport Run(string reader, IEnumerable<FuzzCase> cases, string extension, Action<string> read)
    {
        var report = new FuzzReport(reader);
        string scratch = Path.Combine(Path.GetTempPath(), $"fmri-fuzz-{Environment.ProcessId}-{Guid.NewGuid():N}{extension}");
        string? current = null;
        long caseStarted = 0;
        var worker = new Thread(() =>
        {
            foreach (var c in cases)
            {
                File.WriteAllBytes(scratch, c.Bytes);
                long began = Stopwatch.GetTimestamp();
                Volatile.Write(ref current, c.Name);
                Volatile.Write(ref caseStarted, began);
                Exception? outcome = null;
                try
                {
                    read(scratch);
                }
                catch (Exception e)
                {
                    outcome = e;
                }

                Volatile.Write(ref current, null);
                lock (report)
                {
                    report.Add(c.Name, outcome, Stopwatch.GetElapsedTime(began));
                }
            }
        })
        { IsBackground = true, Name = $"fuzz {reader}" };
        var total = Stopwatch.StartNew();
        worker.Start();
        try
        {
            while (!worker.Join(50))
            {
                string? running = Volatile.Read(ref current);
                if (running is not null && Stopwatch.GetElapsedTime(Volatile.Read(ref caseStarted)) > CaseTimeout && running == Volatile.Read(ref current))
                {
                    lock (report)
                    {
                        report.Hang(running);
                    }

                    return report;
                }
            }
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
