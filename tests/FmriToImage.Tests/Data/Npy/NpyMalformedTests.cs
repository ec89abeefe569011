using System.Text;
using FmriToImage.Data.Npy;

namespace FmriToImage.Tests.Data.Npy;

public class NpyMalformedTests
{
    private static byte[] File(string dict, int version = 1, int extraData = 0)
    {
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)version, 0]);
        byte[] text = Encoding.Latin1.GetBytes(dict + "\n");
        if (version == 1)
        {
            ms.Write(BitConverter.GetBytes((ushort)text.Length));
        }
        else
        {
            ms.Write(BitConverter.GetBytes((uint)text.Length));
        }

        ms.Write(text);
        ms.Write(new byte[extraData]);
        return ms.ToArray();
    }

    private static NpyFormatException Reject(byte[] bytes) =>
        Assert.Throws<NpyFormatException>(() => NpyFile.ReadAsSingle(new MemoryStream(bytes), "bad.npy"));

    [Fact]
    public void Wrong_magic()
    {
        var bytes = File("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", extraData: 4);
        bytes[1] = (byte)'X';
        var ex = Reject(bytes);
        Assert.Equal(0, ex.Offset);
        Assert.Contains("bad.npy", ex.Message);
    }

    [Fact]
    public void Too_short() => Reject([0x93, (byte)'N']);

    [Fact]
    public void Unknown_version() => Assert.Equal(6, Reject(File("{}", version: 9)).Offset);

    [Fact]
    public void Header_length_beyond_the_file()
    {
        var bytes = File("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", extraData: 4);
        bytes[8] = 0xFF;
        bytes[9] = 0xFF;
        Reject(bytes);
    }

    [Fact]
    public void Huge_shape_is_rejected_before_allocating()
    {
        // 40 GB announced, 4 bytes present: must fail on the size check, not with OutOfMemoryException.
        var ex = Reject(File("{'descr': '<f4', 'fortran_order': False, 'shape': (100000, 100000), }", extraData: 4));
        Assert.Contains("40000000000", ex.Message);
    }

    [Fact]
    public void Overflowing_shape() => Reject(File("{'descr': '<f8', 'fortran_order': False, 'shape': (9223372036854775807, 4), }"));

    [Fact]
    public void Object_dtype_is_rejected() => Assert.Contains("|O", Reject(File("{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", extraData: 8)).Message);

    [Fact]
    public void Unicode_dtype_is_rejected() => Reject(File("{'descr': '<U4', 'fortran_order': False, 'shape': (1,), }", extraData: 16));

    [Theory]
    [InlineData("{'descr': '<f4', 'shape': (1,), }")]
    [InlineData("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1}")]
    [InlineData("{'descr': '<f4 'fortran_order': False, 'shape': (1,), }")]
    [InlineData("['descr']")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1,")]
    public void Malformed_dictionaries(string dict) => Reject(File(dict, extraData: 4));

    [Fact]
    public void Truncated_data() => Reject(File("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", extraData: 8));
}
