using Microsoft.Win32.SafeHandles;

namespace FmriToImage.Data.Hdf5;

/// <summary>
/// A read-only HDF5 file opened by the managed reader (no native HDF5 library). Supports superblock versions 0–3,
/// object headers v1/v2, old-style (symbol table) and new-style (compact and dense) groups, compact/contiguous/chunked
/// datasets with the v1 B-tree, single-chunk, implicit, fixed-array, extensible-array and v2 B-tree chunk indices, and the deflate,
/// shuffle and fletcher32 filters. Anything else raises <see cref="Hdf5NotSupportedException"/> with the h5repack
/// command that converts the file.
/// </summary>
/// <remarks>
/// Navigation (opening groups and datasets) is not thread-safe: resolve objects on one thread. Reading data from an
/// opened <see cref="Hdf5Dataset"/> uses positional reads and is safe from several threads at once.
/// </remarks>
public sealed class Hdf5File : IDisposable
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A];

    private readonly H5Context _ctx;

    private Hdf5File(H5Context ctx, long rootAddress)
    {
        _ctx = ctx;
        Root = new Hdf5Group(this, ctx, "/", rootAddress);
    }

    /// <summary>The file path.</summary>
    public string FilePath => _ctx.Path;

    /// <summary>The superblock version (0–3).</summary>
    public int SuperblockVersion => _ctx.SuperblockVersion;

    /// <summary>The root group "/".</summary>
    internal Hdf5Group Root { get; }

    /// <summary>Opens <paramref name="path"/> for reading and parses its superblock.</summary>
    /// <exception cref="MalformedFileException">No HDF5 signature, or the superblock is malformed.</exception>
    /// <exception cref="Hdf5NotSupportedException">The file uses an unsupported superblock feature.</exception>
    public static Hdf5File Open(string path)
    {
        SafeFileHandle handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            var ctx = new H5Context(path, handle, RandomAccess.GetLength(handle));
            long root = ReadSuperblock(ctx);
            return new Hdf5File(ctx, root);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Opens the group at an absolute or root-relative <paramref name="path"/> (e.g. <c>/a/b</c>), following soft links.</summary>
    /// <exception cref="Hdf5ObjectNotFoundException">No object at that path, or it is not a group.</exception>
    internal Hdf5Group GetGroup(string path) => Root.GetGroup(path);

    /// <summary>Opens the dataset at <paramref name="path"/> (e.g. <c>/betas</c>), following soft links.</summary>
    /// <exception cref="FmriToImageException">No object at that path, or it is not a dataset (the message lists what the group holds).</exception>
    public Hdf5Dataset GetDataset(string path) => Root.GetDataset(path);

    /// <summary>Closes the file. Datasets opened from it can no longer be read.</summary>
    public void Dispose() => _ctx.Handle.Dispose();

    private static long ReadSuperblock(H5Context ctx)
    {
        Span<byte> sig = stackalloc byte[8];
        long at = 0;
        while (true)
        {
            if (at + 8 > ctx.FileLength)
            {
                throw new Hdf5FormatException(ctx.Path, 0, "no HDF5 signature (\\x89HDF\\r\\n\\x1a\\n) at offset 0, 512, 1024, …");
            }

            RandomAccess.Read(ctx.Handle, sig, at);
            if (sig.SequenceEqual(Signature))
            {
                break;
            }

            at = at == 0 ? 512 : at * 2;
        }

        byte[] sb = new byte[Math.Min(256, ctx.FileLength - at)];
        RandomAccess.Read(ctx.Handle, sb, at);
        var c = new H5Cursor(sb, at, ctx);
        c.Skip(8);
        int version = c.U8();
        ctx.SuperblockVersion = version;
        if (version is 0 or 1)
        {
            c.Skip(4);
            ctx.OffsetSize = c.U8();
            ctx.LengthSize = c.U8();
            CheckSizes(ctx, c);
            c.Skip(1 + 4 + 4);
            if (version == 1)
            {
                c.Skip(4);
            }

            ctx.BaseAddress = BaseAddress(ctx, ref c);
            c.Offset();
            c.Offset();
            c.Offset();

            // Root group symbol table entry: link name offset, object header address, cache type, reserved, scratch.
            c.Offset();
            return c.Offset();
        }

        if (version is 2 or 3)
        {
            ctx.OffsetSize = c.U8();
            ctx.LengthSize = c.U8();
            CheckSizes(ctx, c);
            c.U8();
            ctx.BaseAddress = BaseAddress(ctx, ref c);
            c.Offset(); // superblock extension
            c.Offset(); // end of file
            return c.Offset();
        }

        throw new Hdf5FormatException(ctx.Path, at + 8, $"superblock version {version}, expected 0..3");
    }

    private static void CheckSizes(H5Context ctx, H5Cursor c)
    {
        if (ctx.OffsetSize is not (2 or 4 or 8) || ctx.LengthSize is not (2 or 4 or 8))
        {
            throw c.Error($"size of offsets {ctx.OffsetSize} / lengths {ctx.LengthSize}, expected 2, 4 or 8");
        }

    }

    private static long BaseAddress(H5Context ctx, ref H5Cursor c)
    {
        ulong value = c.UVar(ctx.OffsetSize);
        return value <= (ulong)ctx.FileLength ? (long)value : throw c.Error($"base address {value} lies outside the {ctx.FileLength}-byte file");
    }

    /// <summary>Opens the object at a header address as a group or dataset.</summary>
    internal object OpenObject(string path, long address)
    {
        var messages = H5ObjectHeader.Read(_ctx, address);
        return H5Links.IsGroup(messages)
            ? new Hdf5Group(this, _ctx, path, address, messages)
            : new Hdf5Dataset(_ctx, path, messages);
    }
}
