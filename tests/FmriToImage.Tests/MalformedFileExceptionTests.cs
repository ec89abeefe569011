using System.Text;
using System.Text.Json.Nodes;
using FmriToImage.Data.Hdf5;
using FmriToImage.Data.Nifti;
using FmriToImage.Data.Npy;
using FmriToImage.Imaging;
using FmriToImage.Tests.Bundle;
using FmriToImage.Tests.Data;
using FmriToImage.Tests.Imaging;

namespace FmriToImage.Tests;

/// <summary>
/// A user of the package catches one type, <see cref="MalformedFileException"/>, for a malformed file of any format,
/// and finds in it the file and the byte offset: each case goes through the public entry point a user calls.
/// </summary>
public sealed class MalformedFileExceptionTests
{
    [Fact]
    public void Carries_file_offset_message_and_inner_exception()
    {
        var inner = new InvalidDataException("inner");
        var e = new MalformedFileException("a.bin", 12, "a.bin, byte offset 12: bad", inner);
        Assert.Equal("a.bin", e.File);
        Assert.Equal(12, e.Offset);
        Assert.Equal("a.bin, byte offset 12: bad", e.Message);
        Assert.Same(inner, e.InnerException);
        Assert.IsAssignableFrom<FmriToImageException>(e);
        Assert.Null(new MalformedFileException("a.json", null, "a.json: no subject").Offset);
    }

    [Fact]
    public void Npy_header_with_an_unknown_version()
    {
        var bytes = new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 9, 0, 2, 0, (byte)'{', (byte)'}' };
        var e = Assert.ThrowsAny<MalformedFileException>(() => NpyFile.ReadAsSingle(new MemoryStream(bytes), "bad.npy"));
        Assert.Equal("bad.npy", e.File);
        Assert.Equal(6, e.Offset); // the version byte
    }

    [Fact]
    public void Hdf5_superblock_with_an_unknown_version()
    {
        var bytes = File.ReadAllBytes(DataFixtures.Path("hdf5", "sb0.h5"));
        bytes[8] = 7; // superblock version, right after the 8-byte signature
        var e = Assert.ThrowsAny<MalformedFileException>(() => WithFile(bytes, ".h5", path => Hdf5File.Open(path).Dispose()));
        Assert.EndsWith(".h5", e.File);
        Assert.Equal(8, e.Offset);
    }

    [Fact]
    public void Png_chunk_with_a_bad_crc()
    {
        var bytes = File.ReadAllBytes(ImagingFixtures.Png("ct2_d8_plain_13x11.png"));
        bytes[16] ^= 0x01; // IHDR's width: the chunk starts at 8, after the signature
        var e = Assert.ThrowsAny<MalformedFileException>(() => WithFile(bytes, ".png", path => RgbImage.Load(path)));
        Assert.EndsWith(".png", e.File);
        Assert.Equal(8, e.Offset);
        Assert.Contains("IHDR", e.Message);
    }

    [Fact]
    public void Nifti_header_with_a_wrong_magic()
    {
        var bytes = File.ReadAllBytes(DataFixtures.Path("nifti", "i2_le.nii"));
        bytes[345] = (byte)'x'; // "n+1\0" starts at 344
        var e = Assert.ThrowsAny<MalformedFileException>(() => WithFile(bytes, ".nii", path => NiftiReader.Open(path).Dispose()));
        Assert.EndsWith(".nii", e.File);
        Assert.Equal(344, e.Offset);
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 3)] // the parser starts after the byte order mark; the offset is the file's
    public void Bundle_manifest_that_is_not_json(bool byteOrderMark, int markLength)
    {
        var text = "{\n  \"format_version\": 1,\n  \"subject\": x\n}\n";
        var (manifest, e) = LoadWithManifest(text, byteOrderMark);
        Assert.Equal(manifest, e.File);
        Assert.Equal(markLength + text.IndexOf('x'), e.Offset); // line 3, byte 14 of the line
        Assert.Contains("line 3", e.Message);
    }

    [Fact]
    public void Bundle_manifest_without_a_required_field_points_into_the_file()
    {
        // format_version is required in every format ("subject" is format 1's only, checked after parsing: no offset).
        var withoutVersion = JsonNode.Parse(File.ReadAllText(TestFiles.Fixture("bundle", "tiny", "fmri_decoder.json")))!.AsObject();
        withoutVersion.Remove("format_version");
        var (manifest, e) = LoadWithManifest(withoutVersion.ToJsonString(), byteOrderMark: false);
        Assert.Equal(manifest, e.File);
        Assert.Contains("format_version", e.Message);
        Assert.InRange(Assert.NotNull(e.Offset), 0, Encoding.UTF8.GetByteCount(withoutVersion.ToJsonString())); // where the deserializer found the object incomplete
    }

    /// <summary>Loads a copy of the fixture bundle whose <c>fmri_decoder.json</c> is <paramref name="text"/>.</summary>
    private static (string Manifest, MalformedFileException Error) LoadWithManifest(string text, bool byteOrderMark)
    {
        using var temp = new TempBundle();
        var manifest = temp.PathOf("fmri_decoder.json");
        File.WriteAllText(manifest, text, new UTF8Encoding(byteOrderMark));
        return (manifest, Assert.ThrowsAny<MalformedFileException>(() => BrainDecoder.Load(temp.Root).Dispose()));
    }

    private static void WithFile(byte[] bytes, string extension, Action<string> read)
    {
        var path = Path.Combine(Path.GetTempPath(), $"malformed-{Guid.NewGuid():N}{extension}");
        File.WriteAllBytes(path, bytes);
        try
        {
            read(path);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
