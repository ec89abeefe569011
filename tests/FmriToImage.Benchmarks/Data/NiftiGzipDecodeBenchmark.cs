using System.Buffers.Binary;
using System.IO.Compression;
using BenchmarkDotNet.Attributes;
using FmriToImage.Data.Nifti;

namespace FmriToImage.Benchmarks.Data;

/// <summary>
/// Decodes an NSD-like 4-D int16 .nii.gz (81×104×83 grid, 20 volumes = 28 MB uncompressed) volume by volume to float.
/// MB/s = 28.0 MB ÷ mean time. The file is written in GlobalSetup (plain NIfTI-1 header + gzip), so no Python is needed.
/// </summary>
[MemoryDiagnoser]
public class NiftiGzipDecodeBenchmark
{
    private const int X = 81, Y = 104, Z = 83, T = 20;
    private string _path = "";
    private float[] _volume = [];

    public static long UncompressedBytes => 352L + ((long)X * Y * Z * T * 2);

    [GlobalSetup]
    public void Setup()
    {
        _path = Path.Combine(Path.GetTempPath(), "fmri-bench-betas.nii.gz");
        var header = new byte[352];
        BinaryPrimitives.WriteInt32LittleEndian(header, 348);
        short[] dim = [4, X, Y, Z, T, 1, 1, 1];
        for (int i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(header.AsSpan(40 + (2 * i)), dim[i]);
        }

        BinaryPrimitives.WriteInt16LittleEndian(header.AsSpan(70), 4); // int16
        BinaryPrimitives.WriteInt16LittleEndian(header.AsSpan(72), 16);
        for (int i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(header.AsSpan(76 + (4 * i)), i == 0 ? 1f : 1.8f);
        }

        BinaryPrimitives.WriteSingleLittleEndian(header.AsSpan(108), 352f);
        "n+1\0"u8.CopyTo(header.AsSpan(344));
        var random = new Random(1);
        var data = new byte[(long)X * Y * Z * T * 2];
        for (int i = 0; i < data.Length; i += 2)
        {
            // Smooth-ish betas compress like real ones (mostly small values), not like white noise.
            BinaryPrimitives.WriteInt16LittleEndian(data.AsSpan(i), (short)(random.Next(-600, 600) * (i % 7 == 0 ? 4 : 1)));
        }

        using var file = File.Create(_path);
        using var gz = new GZipStream(file, CompressionLevel.Optimal);
        gz.Write(header);
        gz.Write(data);
        _volume = new float[X * Y * Z];
    }

    [GlobalCleanup]
    public void Cleanup() => File.Delete(_path);

    [Benchmark]
    public float DecodeAllVolumes()
    {
        using var reader = NiftiReader.Open(_path);
        float sum = 0;
        for (int t = 0; t < T; t++)
        {
            reader.ReadVolume(t, _volume);
            sum += _volume[12345];
        }

        return sum;
    }
}
