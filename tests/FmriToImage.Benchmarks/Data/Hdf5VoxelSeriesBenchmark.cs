using BenchmarkDotNet.Attributes;
using FmriToImage.Data.Hdf5;

namespace FmriToImage.Benchmarks.Data;

/// <summary>
/// Reads 16,640 voxel time series (every 5th voxel) from an NSD-shaped session file — /betas int16 (750, 40, 52, 40),
/// chunks (750,1,1,1) — one chunk-aligned hyperslab per voxel, converted to float. The file comes from
/// <c>/usr/bin/python3 tests/perf/nsd_voxel_series_h5py.py make</c> (path in FMRI_BENCH_BETAS, default
/// /tmp/fmri-bench/nsd_betas_bench.h5); the same script's <c>time</c> mode times h5py doing the same reads.
/// </summary>
[MemoryDiagnoser]
public class Hdf5VoxelSeriesBenchmark
{
    private const int T = 750, Z = 40, Y = 52, X = 40;
    private string _path = "";
    private readonly float[] _series = new float[T];

    [GlobalSetup]
    public void Setup()
    {
        _path = Environment.GetEnvironmentVariable("FMRI_BENCH_BETAS") ?? "/tmp/fmri-bench/nsd_betas_bench.h5";
        if (!File.Exists(_path))
        {
            throw new FileNotFoundException($"{_path} missing: run /usr/bin/python3 tests/perf/nsd_voxel_series_h5py.py make");
        }
    }

    private Hdf5File? _warmFile;
    private Hdf5Dataset? _warm;

    [GlobalSetup(Target = nameof(ReadVoxelSeriesWarm))]
    public void SetupWarm()
    {
        Setup();
        _warmFile = Hdf5File.Open(_path);
        _warm = _warmFile.GetDataset("/betas");
        ReadAll(_warm);
    }

    [GlobalCleanup(Target = nameof(ReadVoxelSeriesWarm))]
    public void CleanupWarm() => _warmFile?.Dispose();

    /// <summary>The same reads on an open dataset whose chunk index is already loaded (steady state of a long session).</summary>
    [Benchmark]
    public float ReadVoxelSeriesWarm() => ReadAll(_warm!);

    /// <summary>Open the file, resolve /betas, read every selected voxel's series (includes building the chunk index).</summary>
    [Benchmark]
    public float OpenAndReadVoxelSeries()
    {
        using var file = Hdf5File.Open(_path);
        return ReadAll(file.GetDataset("/betas"));
    }

    private float ReadAll(Hdf5Dataset betas)
    {
        float sum = 0;
        long[] start = new long[4], count = [T, 1, 1, 1];
        for (int i = 0; i < Z * Y * X; i += 5)
        {
            start[1] = i / (Y * X);
            start[2] = i / X % Y;
            start[3] = i % X;
            betas.ReadHyperslab(start, count, [], _series);
            sum += _series[0];
        }

        return sum;
    }
}
