using System.Text;

namespace FmriToImage.Data.Hdf5;

/// <summary>A local heap ("HEAP"): the name strings of an old-style (symbol-table) group.</summary>
internal sealed class H5LocalHeap
{
    private readonly byte[] _data;
    private readonly long _dataAddress;
    private readonly H5Context _ctx;

    public H5LocalHeap(H5Context ctx, long address)
    {
        _ctx = ctx;
        var c = ctx.Cursor(ctx.ReadUpTo(address, 32 + (2 * ctx.LengthSize) + ctx.OffsetSize, "local heap"), address);
        c.Signature("HEAP"u8, "local heap");
        c.Skip(4);
        long size = c.Length();
        c.Length();
        _dataAddress = c.Offset();
        _data = ctx.Read(_dataAddress, size, "local heap data segment");
    }

    public string String(long offset)
    {
        if (offset < 0 || offset >= _data.Length)
        {
            throw _ctx.Error(_dataAddress, $"name offset {offset} lies outside the {_data.Length}-byte local heap");
        }

        int end = Array.IndexOf(_data, (byte)0, (int)offset);
        if (end < 0)
        {
            throw _ctx.Error(_dataAddress + offset, "unterminated name in the local heap");
        }

        return Encoding.UTF8.GetString(_data, (int)offset, end - (int)offset);
    }
}
