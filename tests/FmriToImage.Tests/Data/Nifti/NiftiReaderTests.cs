using System.Text.Json;
using FmriToImage.Data.Nifti;
using FmriToImage.Data.Npy;

namespace FmriToImage.Tests.Data.Nifti;

/// <summary>
/// Compares with nibabel: tests/fixtures/data/make_nifti_fixtures.py writes each file and its get_fdata() values
/// (on-disk order, float64) as &lt;file&gt;.expected.npy, and the header facts in nifti/manifest.json.
/// </summary>
public class NiftiReaderTests
{
    public sealed record Entry(string File, int Version, bool BigEndian, long[] Dims, int Datatype, int SformCode, int QformCode,
        double[] Sform, double[] Qform, double[] Affine, double? Slope, double? Inter);

    private static readonly Entry[] Manifest = JsonSerializer.Deserialize<Entry[]>(
        File.ReadAllText(DataFixtures.Path("nifti", "manifest.json")),
        new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;

    public static TheoryData<string> Files() => new(Manifest.Select(e => e.File));

    private static double[] Expected(string file) => NpyFile.Read<double>(DataFixtures.Path("nifti", file + ".expected.npy")).ToArray();

    [Theory]
    [MemberData(nameof(Files))]
    public void Header_matches_nibabel(string file)
    {
        Entry e = Manifest.Single(m => m.File == file);
        using var reader = NiftiReader.Open(DataFixtures.Path("nifti", file));
        NiftiHeader h = reader.Header;
        Assert.Equal(e.Version, h.Version);
        Assert.Equal(e.BigEndian, h.IsBigEndian);
        Assert.Equal(e.Dims, h.Dimensions);
        Assert.Equal(e.Datatype, (int)h.DataType);
        Assert.Equal(e.SformCode, h.SformCode);
        Assert.Equal(e.QformCode, h.QformCode);
        Assert.Equal(file.EndsWith(".gz"), reader.IsCompressed);
        AssertClose(e.Affine, h.Affine, 1e-5);
        if (e.SformCode > 0)
        {
            AssertClose(e.Sform, h.SformAffine!, 1e-5);
        }

        if (e.QformCode > 0)
        {
            AssertClose(e.Qform, h.QformAffine!, 1e-5);
        }
    }

    [Theory]
    [MemberData(nameof(Files))]
    public void Volumes_match_nibabel_get_fdata(string file)
    {
        double[] expected = Expected(file);
        using var reader = NiftiReader.Open(DataFixtures.Path("nifti", file));
        long n = reader.Header.VoxelsPerVolume;
        var volume = new float[n];
        for (long t = 0; t < reader.Header.VolumeCount; t++)
        {
            reader.ReadVolume(t, volume);
            for (int i = 0; i < n; i++)
            {
                Assert.Equal((float)expected[(t * n) + i], volume[i]);
            }
        }
    }

    [Fact]
    public async Task ReadAll_gives_T_Z_Y_X_in_on_disk_order()
    {
        using var reader = NiftiReader.Open(DataFixtures.Path("nifti", "betas_4d_i2.nii.gz"));
        var progress = new List<long>();
        var tensor = await reader.ReadAllAsync(new SynchronousProgress(progress));
        Assert.Equal(new nint[] { 7, 4, 5, 6 }, tensor.Lengths.ToArray());
        Assert.Equal(Expected("betas_4d_i2.nii.gz").Select(v => (float)v), tensor.ToArray());
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], progress);
    }

    [Fact]
    public void Gzip_volumes_can_be_read_out_of_order()
    {
        double[] expected = Expected("n2_4d_f4_be.nii.gz");
        using var reader = NiftiReader.Open(DataFixtures.Path("nifti", "n2_4d_f4_be.nii.gz"));
        long n = reader.Header.VoxelsPerVolume;
        var volume = new float[n];
        foreach (long t in new long[] { 3, 1, 4, 0, 0, 2 })
        {
            reader.ReadVolume(t, volume);
            Assert.Equal(expected.Skip((int)(t * n)).Take((int)n).Select(v => (float)v), volume);
        }
    }

    [Fact]
    public void Scaling_is_applied()
    {
        using var reader = NiftiReader.Open(DataFixtures.Path("nifti", "scaled_i2.nii"));
        Assert.Equal(0.5, reader.Header.ScaleSlope);
        Assert.Equal(-3.25, reader.Header.ScaleIntercept);
        Assert.True(reader.Header.HasScaling);
    }

    [Fact]
    public void Bad_arguments()
    {
        using var reader = NiftiReader.Open(DataFixtures.Path("nifti", "i2_le.nii"));
        Assert.Throws<ArgumentOutOfRangeException>(() => reader.ReadVolume(1, new float[60]));
        Assert.Throws<ArgumentException>(() => reader.ReadVolume(0, new float[59]));
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    private sealed class SynchronousProgress(List<long> sink) : IProgress<long>
    {
        public void Report(long value) => sink.Add(value);
    }
}
