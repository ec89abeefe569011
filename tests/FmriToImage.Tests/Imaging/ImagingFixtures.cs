using System.Text.Json;
using FmriToImage.Imaging;

namespace FmriToImage.Tests.Imaging;

/// <summary>
/// Paths and manifests of the fixtures written by tests/fixtures/imaging/make_imaging_fixtures.py (PIL + numpy are
/// the reference: PNG samples cross-checked with PIL's decoder, resize results from PIL's Image.resize).
/// </summary>
internal static class ImagingFixtures
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "fixtures", "imaging");

    public static string Png(string name) => Path.Combine(Directory, "png", name);

    public static string Resample(string name) => Path.Combine(Directory, "resample", name);

    public static string Encode(string name) => Path.Combine(Directory, "encode", name);

    public static JsonElement Manifest(string area)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, area, "manifest.json")));
        return doc.RootElement.Clone();
    }

    public static ushort[] ReadU16(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var values = new ushort[bytes.Length / 2];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (ushort)(bytes[2 * i] | (bytes[(2 * i) + 1] << 8));
        }

        return values;
    }

    public static RgbImage LoadResample(string name) => RgbImage.LoadPng(Resample(name + ".png"));

    /// <summary>The source images under resample/, by name.</summary>
    public static TheoryData<string> PngNames()
    {
        var data = new TheoryData<string>();
        foreach (JsonElement e in Manifest("png").EnumerateArray())
        {
            data.Add(e.GetProperty("name").GetString()!);
        }

        return data;
    }

    public static int MaxAbsDifference(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        Assert.Equal(a.Length, b.Length);
        int max = 0;
        for (int i = 0; i < a.Length; i++)
        {
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        }

        return max;
    }
}
