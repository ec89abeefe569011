using System.IO.Compression;
using System.Text.Json;
using FmriToImage.Data.Nifti;

namespace FmriToImage.Tests.Data.Nifti;

/// <summary>
/// The writer against its own reader (values, grid, affine) and against committed files that nibabel reads:
/// tests/fixtures/data/check_written_nifti.py loads tests/fixtures/data/nifti_written/*.nii[.gz] (written by this
/// writer) with nibabel and commits what it saw in nifti_written/nibabel.json (header fields, affine, a float64 sum of
/// the data, whether the data equal <see cref="Pattern"/>). These tests require the writer to reproduce the committed
/// files byte for byte (after decompression: gzip's compressed bytes may differ between zlib builds).
/// To regenerate the committed files, set FMRITOIMAGE_WRITE_NIFTI_FIXTURES to tests/fixtures/data/nifti_written and run
/// these tests, then rerun the script.
/// </summary>
public class NiftiWriterTests
{
    public static TheoryData<string, string, int, string> Cases() => new()
    {
        { "written_4d.nii.gz", "betas_4d_i2.nii.gz", 3, "fmri-to-image importance" },
        { "written_3d.nii", "n2_i2_le.nii", 1, "" },
        { "written_qform.nii.gz", "qform_only_f4.nii", 1, "qform only" },
    };

    /// <summary>The values written: exact in float32, x fastest. The Python check recomputes them.</summary>
    internal static float[] Pattern(long count)
    {
        var values = new float[count];
        for (int k = 0; k < values.Length; k++)
        {
            values[k] = ((k * 37) % 101 * 0.25f) - 12.5f;
        }

        return values;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Round_trips_through_the_reader_in_the_reference_grid(string name, string referenceFile, int volumes, string description)
    {
        using var source = NiftiReader.Open(DataFixtures.Path("nifti", referenceFile));
        NiftiHeader reference = source.Header;
        float[] values = Pattern(reference.VoxelsPerVolume * volumes);
        string path = Write(name, reference, values, volumes, description);
        using var reader = NiftiReader.Open(path);
        NiftiHeader h = reader.Header;
        Assert.Equal(1, h.Version);
        Assert.False(h.IsBigEndian);
        Assert.Equal(name.EndsWith(".gz"), reader.IsCompressed);
        Assert.Equal(reference.Grid, h.Grid);
        Assert.Equal(volumes, h.VolumeCount);
        Assert.Equal(volumes > 1 ? 4 : 3, h.Dimensions.Count);
        Assert.Equal(NiftiDataType.Float32, h.DataType);
        Assert.False(h.HasScaling);
        Assert.Equal(1.0, h.ScaleSlope);
        Assert.Equal(reference.QformCode, h.QformCode);
        Assert.Equal(reference.SformCode, h.SformCode);
        Assert.Equal(reference.XyztUnits, h.XyztUnits);
        Assert.Equal(description, h.Description);
        for (int i = 1; i <= 3; i++)
        {
            Assert.Equal((float)reference.PixelDimensions[i], (float)h.PixelDimensions[i]);
        }

        AssertClose(reference.Affine, h.Affine, 1e-5);
        var read = new float[values.Length];
        for (int t = 0; t < volumes; t++)
        {
            reader.ReadVolume(t, read.AsSpan((int)(t * h.VoxelsPerVolume)));
        }

        Assert.Equal(values, read);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reproduces_the_committed_file_that_nibabel_read(string name, string referenceFile, int volumes, string description)
    {
        using var source = NiftiReader.Open(DataFixtures.Path("nifti", referenceFile));
        float[] values = Pattern(source.Header.VoxelsPerVolume * volumes);
        string path = Write(name, source.Header, values, volumes, description);
        string? regenerate = Environment.GetEnvironmentVariable("FMRITOIMAGE_WRITE_NIFTI_FIXTURES");
        if (!string.IsNullOrEmpty(regenerate))
        {
            File.Copy(path, Path.Combine(regenerate, name), overwrite: true);
        }

        Assert.Equal(Contents(DataFixtures.Path("nifti_written", name)), Contents(path));
    }

    [Fact]
    public void Nibabel_read_the_committed_files_as_written()
    {
        using JsonDocument seen = JsonDocument.Parse(File.ReadAllText(DataFixtures.Path("nifti_written", "nibabel.json")));
        foreach ((string name, string referenceFile, int volumes, string description) in Cases().Select(c => ((string)c[0], (string)c[1], (int)c[2], (string)c[3])))
        {
            JsonElement e = seen.RootElement.GetProperty(name);
            Assert.True(e.GetProperty("data_equals_pattern").GetBoolean(), name);
            Assert.True(e.GetProperty("affine_equals_reference").GetBoolean(), name);
            Assert.Equal("float32", e.GetProperty("dtype").GetString());
            Assert.Equal(description, e.GetProperty("descrip").GetString());
            using var source = NiftiReader.Open(DataFixtures.Path("nifti", referenceFile));
            (int x, int y, int z) = source.Header.Grid;
            int[] shape = volumes > 1 ? [x, y, z, volumes] : [x, y, z];
            Assert.Equal(shape, e.GetProperty("shape").EnumerateArray().Select(v => v.GetInt32()));
            double sum = Pattern(source.Header.VoxelsPerVolume * volumes).Sum(v => (double)v);
            Assert.Equal(sum, e.GetProperty("sum_float64").GetDouble(), 9);
        }
    }

    [Fact]
    public void Bad_arguments_are_refused_before_anything_is_written()
    {
        using var source = NiftiReader.Open(DataFixtures.Path("nifti", "i2_le.nii"));
        string folder = Directory.CreateTempSubdirectory("nifti-writer-").FullName;
        string path = Path.Combine(folder, "x.nii.gz");
        var values = new float[source.Header.VoxelsPerVolume];
        Assert.Throws<ArgumentException>(() => NiftiWriter.Write(Path.Combine(folder, "x.img"), source.Header, values));
        var wrongCount = Assert.Throws<ArgumentException>(() => NiftiWriter.Write(path, source.Header, values.AsMemory(1)));
        Assert.Contains("needs 60", wrongCount.Message);
        Assert.Throws<ArgumentException>(() => NiftiWriter.Write(path, source.Header, values, 2));
        Assert.Throws<ArgumentException>(() => NiftiWriter.Write(path, source.Header, values, description: new string('a', 80)));
        Assert.Throws<ArgumentException>(() => NiftiWriter.Write(path, source.Header, values, description: "tab\there"));
        Assert.Throws<ArgumentOutOfRangeException>(() => NiftiWriter.Write(path, source.Header, values, 0));
        Assert.Empty(Directory.GetFiles(folder));
    }

    [Fact]
    public void Volumes_written_one_at_a_time_make_the_same_file_as_one_array()
    {
        using var source = NiftiReader.Open(DataFixtures.Path("nifti", "betas_4d_i2.nii.gz"));
        NiftiHeader reference = source.Header;
        int perVolume = (int)reference.VoxelsPerVolume;
        float[] values = Pattern(perVolume * 3L);
        string whole = Write("whole.nii.gz", reference, values, 3, "d");
        string streamed = Path.Combine(Directory.CreateTempSubdirectory("nifti-writer-").FullName, "streamed.nii.gz");
        var asked = new List<int>();
        NiftiWriter.WriteVolumes(streamed, reference, 3, t =>
        {
            asked.Add(t);
            return values.AsMemory(t * perVolume, perVolume);
        }, "d");
        Assert.Equal([0, 1, 2], asked);
        Assert.Equal(Contents(whole), Contents(streamed));
    }

    [Fact]
    public void A_volume_of_the_wrong_length_or_too_many_volumes_leave_no_file()
    {
        using var source = NiftiReader.Open(DataFixtures.Path("nifti", "i2_le.nii"));
        string folder = Directory.CreateTempSubdirectory("nifti-writer-").FullName;
        string path = Path.Combine(folder, "x.nii.gz");
        int perVolume = (int)source.Header.VoxelsPerVolume;
        var short1 = Assert.Throws<ArgumentException>(() => NiftiWriter.WriteVolumes(
            path, source.Header, 2, t => new float[t == 1 ? perVolume - 1 : perVolume]));
        Assert.Contains("volume 1", short1.Message);
        Assert.Contains($"needs {perVolume}", short1.Message);
        int calls = 0;
        var tooMany = Assert.Throws<ArgumentException>(() => NiftiWriter.WriteVolumes(
            path, source.Header, short.MaxValue + 1, _ =>
            {
                calls++;
                return new float[perVolume];
            }));
        Assert.Contains("32767", tooMany.Message);
        Assert.Equal(0, calls);
        Assert.Empty(Directory.GetFiles(folder));
    }

    private static string Write(string name, NiftiHeader reference, float[] values, int volumes, string description)
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("nifti-writer-").FullName, name);
        NiftiWriter.Write(path, reference, values, volumes, description);
        return path;
    }

    private static byte[] Contents(string path)
    {
        using var file = File.OpenRead(path);
        using Stream data = path.EndsWith(".gz") ? new GZipStream(file, CompressionMode.Decompress) : file;
        using var copy = new MemoryStream();
        data.CopyTo(copy);
        return copy.ToArray();
    }

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }
}
