using Microsoft.Win32.SafeHandles;

namespace FmriToImage.Data.Hdf5;

/// <summary>
/// The open file plus the superblock facts every structure parser needs. Reads are positional
/// (<see cref="RandomAccess"/>), so concurrent reads of chunk data are safe; parsing metadata is done by one thread.
/// </summary>
internal sealed class H5Context(string path, SafeFileHandle handle, long fileLength)
{
    public string Path { get; } = path;

    public SafeFileHandle Handle { get; } = handle;

    public long FileLength { get; } = fileLength;

    public int OffsetSize { get; set; } = 8;

    public int LengthSize { get; set; } = 8;

    public long BaseAddress { get; set; }

    public int SuperblockVersion { get; set; }

    /// <summary>Reads <paramref name="length"/> bytes at file address <paramref name="address"/> (relative to the base address).</summary>
    public byte[] Read(long address, long length, string what)
    {
        CheckRange(address, length, what);
        var buffer = new byte[length];
        ReadInto(address, buffer, what);
        return buffer;
    }

    /// <summary>Reads up to <paramref name="maxLength"/> bytes (fewer at the end of the file) — for structures whose size is found while parsing.</summary>
    public byte[] ReadUpTo(long address, long maxLength, string what)
    {
        CheckRange(address, 1, what);
        long available = FileLength - (BaseAddress + address);
        return Read(address, Math.Min(maxLength, available), what);
    }

    public void ReadInto(long address, Span<byte> destination, string what)
    {
        CheckRange(address, destination.Length, what);
        long at = BaseAddress + address;
        while (destination.Length > 0)
        {
            int got = RandomAccess.Read(Handle, destination, at);
            if (got <= 0)
            {
                throw new Hdf5FormatException(Path, at, $"{what}: unexpected end of file");
            }

            destination = destination[got..];
            at += got;
        }
    }

    public void CheckRange(long address, long length, string what)
    {
        if (address < 0 || length < 0 || address > FileLength - BaseAddress || length > FileLength - BaseAddress - address)
        {
            throw new Hdf5FormatException(Path, address, $"{what}: {length} bytes at address {address} lie outside the {FileLength}-byte file");
        }
    }

    public H5Cursor Cursor(byte[] bytes, long address) => new(bytes, address, this);

    public Hdf5FormatException Error(long offset, string message) => new(Path, offset, message);
}
