using System.Buffers.Binary;
using System.IO.Compression;
using FmriToImage.Data.Nifti;

namespace FmriToImage.Tests.Data.Nifti;

public class NiftiMalformedTests
{
    private static byte[] Valid() => File.ReadAllBytes(DataFixtures.Path("nifti", "i2_le.nii"));

    private static NiftiFormatException Reject(byte[] bytes, bool gzip = false)
    {
        string path = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.nii");
        if (gzip)
        {
            using var ms = new MemoryStream();
            using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true))
            {
                gz.Write(bytes);
            }

            bytes = ms.ToArray();
        }

        File.WriteAllBytes(path, bytes);
        try
        {
            return Assert.Throws<NiftiFormatException>(() =>
            {
                using var r = NiftiReader.Open(path);
                var v = new float[r.Header.VoxelsPerVolume];
                for (long t = 0; t < r.Header.VolumeCount; t++)
                {
                    r.ReadVolume(t, v);
                }
            });
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Too_short_for_a_header() => Assert.Contains("4 bytes", Reject([1, 2, 3, 4]).Message);

    [Fact]
    public void Wrong_sizeof_hdr()
    {
        var b = Valid();
        BinaryPrimitives.WriteInt32LittleEndian(b, 347);
        Assert.Equal(0, Reject(b).Offset);
    }

    [Fact]
    public void Wrong_magic()
    {
        var b = Valid();
        b[345] = (byte)'x';
        Assert.Equal(344, Reject(b).Offset);
    }

    [Fact]
    public void Impossible_ndim()
    {
        var b = Valid();
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(40), 9);
        Assert.Equal(40, Reject(b).Offset);
    }

    [Fact]
    public void Zero_dimension()
    {
        var b = Valid();
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(44), 0);
        Reject(b);
    }

    [Fact]
    public void Unsupported_datatype()
    {
        var b = Valid();
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(70), 32); // complex64
        Assert.Equal(70, Reject(b).Offset);
    }

    [Fact]
    public void Bitpix_disagrees()
    {
        var b = Valid();
        BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(72), 32);
        Reject(b);
    }

    [Fact]
    public void Vox_offset_inside_the_header()
    {
        var b = Valid();
        BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(108), 100f);
        Assert.Equal(108, Reject(b).Offset);
    }

    [Fact]
    public void Dimensions_larger_than_the_file_are_rejected_before_allocating()
    {
        var b = Valid();
        short[] dims = [4, 32767, 32767, 32767, 32767];
        for (int i = 0; i < dims.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(b.AsSpan(40 + (2 * i)), dims[i]);
        }

        Assert.Contains("need", Reject(b).Message);
        Assert.Contains("need", Reject(b, gzip: true).Message);
    }

    [Fact]
    public void Truncated_data() => Assert.Contains("ends early", Reject(Valid()[..400], gzip: true).Message);

    [Fact]
    public void Corrupt_gzip()
    {
        byte[] gz = File.ReadAllBytes(DataFixtures.Path("nifti", "betas_4d_i2.nii.gz"));
        for (int i = 200; i < 260; i++)
        {
            gz[i] ^= 0x5A;
        }

        string path = Path.Combine(Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.nii.gz");
        File.WriteAllBytes(path, gz);
        try
        {
            Assert.ThrowsAny<NiftiFormatException>(() =>
            {
                using var r = NiftiReader.Open(path);
                r.ReadAll();
            });
        }
        finally
        {
            File.Delete(path);
        }
    }
}
