using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FmriToImage.Benchmarks.Harness;
using FmriToImage.Data.Hdf5;

namespace FmriToImage.Benchmarks.Data;

/// <summary>
/// Side by side in one run: the managed reader and h5py reading 300 rows of a MindEye2-shaped contiguous matrix
/// (/betas float32 (9000, 15724)), as a block (rows 0..299) and scattered (every 30th row, one read per row). Rounds
/// alternate (ours, h5py, ours, h5py) and each side's best is kept, so both see the same machine state.
/// <code>
/// /usr/bin/python3 tests/perf/contiguous_rows_h5py.py make
/// dotnet run -c Release --project tests/FmriToImage.Benchmarks -- hdf5-rows [--file F] [--rounds 2] [--reps 10]
/// </code>
/// </summary>
internal static class ContiguousRowsHarness
{
    private const int Rows = 300;

    public static int Run(HarnessArguments args)
    {
        string file = args.Text("file", Path.Combine(RepositoryFiles.Root(), "artifacts", "perf", "betas_all_subj01_fp32_renorm.hdf5"));
        int rounds = args.Integer("rounds", 2), reps = args.Integer("reps", 10);
        args.RejectUnknown();
        if (!File.Exists(file))
        {
            Console.Error.WriteLine($"{file} is missing: run /usr/bin/python3 tests/perf/contiguous_rows_h5py.py make {file}");
            return 2;
        }

        string[] reads = ["block_into_ms", "block_new_ms", "scattered_into_ms", "scattered_new_ms"];
        var ours = reads.ToDictionary(r => r, _ => double.MaxValue);
        var theirs = reads.ToDictionary(r => r, _ => double.MaxValue);
        string pyVersion = "";
        using var h5 = Hdf5File.Open(file);
        var betas = h5.GetDataset("/betas");
        int width = (int)betas.Shape[1];
        var into = new float[Rows * width];
        void Scattered(float[] m)
        {
            for (int i = 0; i < Rows; i++)
            {
                betas.ReadHyperslab([i * 30, 0], [1, width], [1, 1], m.AsSpan(i * width, width));
            }
        }

        var mine = new Dictionary<string, Action>
        {
            ["block_into_ms"] = () => betas.ReadHyperslab([0, 0], [Rows, width], [], into),
            ["block_new_ms"] = () => betas.ReadHyperslab([0, 0], [Rows, width], [], GC.AllocateUninitializedArray<float>(Rows * width)),
            ["scattered_into_ms"] = () => Scattered(into),
            ["scattered_new_ms"] = () => Scattered(GC.AllocateUninitializedArray<float>(Rows * width)),
        };
        for (int round = 0; round < rounds; round++)
        {
            foreach (string r in reads)
            {
                ours[r] = Math.Min(ours[r], Best(reps, mine[r]));
            }

            using var py = JsonDocument.Parse(H5py(file, reps));
            foreach (string r in reads)
            {
                theirs[r] = Math.Min(theirs[r], py.RootElement.GetProperty(r).GetDouble());
            }

            pyVersion = $"h5py {py.RootElement.GetProperty("h5py").GetString()} / HDF5 {py.RootElement.GetProperty("hdf5").GetString()}";
        }

        Console.WriteLine($"{Rows} rows of {file} ({betas.Shape[0]} x {width} float32, {betas.Layout}); best of {rounds} rounds x {reps}; {pyVersion}");
        Console.WriteLine("| read (300 rows of 15,724 float32) | FmriToImage | h5py | ratio |");
        Console.WriteLine("|---|---:|---:|---:|");
        string[] names = ["block (rows 0..299, one selection), into an existing array", "block, into a new array",
            "scattered (every 30th row, one read per row), into an existing array", "scattered, into a new array"];
        for (int i = 0; i < reads.Length; i++)
        {
            string r = reads[i];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {names[i]} | {ours[r]:F2} ms | {theirs[r]:F2} ms | {ours[r] / theirs[r]:F2} |"));
        }

        return 0;
    }

    private static double Best(int reps, Action read)
    {
        double best = double.MaxValue;
        for (int i = 0; i < reps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            read();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        return best;
    }

    private static string H5py(string file, int reps)
    {
        var info = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in new[] { Path.Combine(RepositoryFiles.Root(), "tests", "perf", "contiguous_rows_h5py.py"), "time", file, reps.ToString(CultureInfo.InvariantCulture) })
        {
            info.ArgumentList.Add(a);
        }

        using var p = Process.Start(info)!;
        string json = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? json : throw new InvalidOperationException($"h5py timing failed (exit {p.ExitCode})");
    }
}
