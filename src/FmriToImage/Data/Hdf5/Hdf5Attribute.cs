using System.Buffers.Binary;
using System.Text;

namespace FmriToImage.Data.Hdf5;

/// <summary>An attribute of a group or dataset: name, type, shape and its (small) value, read when the object is opened.</summary>
/// <remarks>Immutable after construction; variable-length strings are resolved on demand from the global heap.</remarks>
internal sealed class Hdf5Attribute
{
    private readonly byte[] _data;
    private readonly H5Context _ctx;
    private readonly long _dataAddress;

    private Hdf5Attribute(string name, Hdf5DataType type, long[] shape, byte[] data, H5Context ctx, long dataAddress)
    {
        Name = name;
        DataType = type;
        Shape = shape;
        _data = data;
        _ctx = ctx;
        _dataAddress = dataAddress;
    }

    /// <summary>The attribute name.</summary>
    public string Name { get; }

    /// <summary>The stored element type.</summary>
    public Hdf5DataType DataType { get; }

    /// <summary>The shape; empty for a scalar.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The number of elements (1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>Reads a numeric attribute as doubles (integers and floats of any width and byte order).</summary>
    /// <exception cref="Hdf5TypeNotNumericException">The attribute is not numeric.</exception>
    public double[] ReadDoubles()
    {
        if (!DataType.TryGetElementKind(out ElementKind kind))
        {
            throw new Hdf5TypeNotNumericException(_ctx.Path, $"attribute '{Name}'", DataType.Describe());
        }

        int size = DataType.Size;
        var result = new double[ElementCount];
        Span<byte> e = stackalloc byte[8];
        for (int i = 0; i < result.Length; i++)
        {
            _data.AsSpan(i * size, size).CopyTo(e);
            if (DataType.IsBigEndian)
            {
                e[..size].Reverse();
            }

            result[i] = kind switch
            {
                ElementKind.Int8 => (sbyte)e[0],
                ElementKind.UInt8 => e[0],
                ElementKind.Int16 => BinaryPrimitives.ReadInt16LittleEndian(e),
                ElementKind.UInt16 => BinaryPrimitives.ReadUInt16LittleEndian(e),
                ElementKind.Int32 => BinaryPrimitives.ReadInt32LittleEndian(e),
                ElementKind.UInt32 => BinaryPrimitives.ReadUInt32LittleEndian(e),
                ElementKind.Int64 => BinaryPrimitives.ReadInt64LittleEndian(e),
                ElementKind.UInt64 => BinaryPrimitives.ReadUInt64LittleEndian(e),
                ElementKind.Float16 => (double)BinaryPrimitives.ReadHalfLittleEndian(e),
                ElementKind.Float32 => BinaryPrimitives.ReadSingleLittleEndian(e),
                _ => BinaryPrimitives.ReadDoubleLittleEndian(e),
            };
        }

        return result;
    }

    /// <summary>Reads a fixed- or variable-length string attribute (trailing NULs and space padding removed).</summary>
    /// <exception cref="Hdf5FormatException">
    /// The attribute is not a string (the message names it, the expected and the stored type; the offset is its value's),
    /// or a variable-length string points outside its global heap.
    /// </exception>
    public string[] ReadStrings()
    {
        var result = new string[ElementCount];
        if (DataType.Class == Hdf5TypeClass.String)
        {
            for (int i = 0; i < result.Length; i++)
            {
                result[i] = Encoding.UTF8.GetString(_data, i * DataType.Size, DataType.Size).TrimEnd('\0', ' ');
            }

            return result;
        }

        if (DataType.Class != Hdf5TypeClass.VariableLengthString)
        {
            throw new Hdf5FormatException(_ctx.Path, _dataAddress, $"attribute '{Name}' is {DataType.Describe()}; a fixed- or variable-length string was expected");
        }

        int elementSize = 4 + _ctx.OffsetSize + 4;
        for (int i = 0; i < result.Length; i++)
        {
            var c = _ctx.Cursor(_data, _dataAddress);
            c.Position = i * elementSize;
            uint length = c.U32();
            long collection = c.Offset();
            uint index = c.U32();
            if (length == 0 || collection < 0)
            {
                result[i] = "";
                continue;
            }

            byte[] bytes = H5GlobalHeap.ReadObject(_ctx, collection, index);
            result[i] = Encoding.UTF8.GetString(bytes, 0, (int)Math.Min(length, (uint)bytes.Length)).TrimEnd('\0');
        }

        return result;
    }

    /// <summary>Reads a scalar string attribute.</summary>
    public string ReadString() => ReadStrings().FirstOrDefault() ?? "";

    /// <summary>Parses an attribute message (versions 1–3).</summary>
    internal static Hdf5Attribute Parse(H5Context ctx, byte[] message, long address)
    {
        var c = ctx.Cursor(message, address);
        int version = c.U8();
        if (version is < 1 or > 3)
        {
            throw c.Error($"attribute message version {version}, expected 1..3");
        }

        byte flags = c.U8();
        if (version >= 2 && (flags & 3) != 0)
        {
            throw new Hdf5NotSupportedException(ctx.Path, "attribute with a shared (committed) datatype or dataspace", "h5repack in.h5 out.h5");
        }

        int nameSize = c.U16();
        int typeSize = c.U16();
        int spaceSize = c.U16();
        if (version == 3)
        {
            c.U8();
        }

        int Pad(int n) => version == 1 ? (n + 7) & ~7 : n;
        string name = Encoding.UTF8.GetString(c.Take(Pad(nameSize))).TrimEnd('\0');
        int typeEnd = c.Position + Pad(typeSize);
        Hdf5DataType type = Hdf5DataType.Parse(ref c);
        c.Position = typeEnd <= message.Length ? typeEnd : throw c.Error("attribute datatype overruns its message");
        int spaceEnd = c.Position + Pad(spaceSize);
        long[] shape = H5Dataspace.Parse(ref c, out bool isNull);
        c.Position = spaceEnd <= message.Length ? spaceEnd : throw c.Error("attribute dataspace overruns its message");
        long count = 1;
        foreach (long d in shape)
        {
            count = d > 0 && count > int.MaxValue / d ? int.MaxValue : count * d;
        }

        if (isNull)
        {
            count = 0;
            shape = [0];
        }

        int elementSize = type.Class == Hdf5TypeClass.VariableLengthString ? 4 + ctx.OffsetSize + 4 : type.Size;
        long bytes = count * elementSize;
        if (bytes > c.Remaining)
        {
            throw c.Error($"attribute '{name}' needs {bytes} value bytes, {c.Remaining} present");
        }

        long dataAt = c.FileOffset;
        return new Hdf5Attribute(name, type, shape, c.Take((int)bytes).ToArray(), ctx, dataAt);
    }

    /// <summary>Reads all attributes of an object: attribute messages plus dense storage.</summary>
    internal static List<Hdf5Attribute> ReadAll(H5Context ctx, List<H5Message> messages)
    {
        var list = new List<Hdf5Attribute>();
        foreach (var m in messages)
        {
            if (m.Type == H5ObjectHeader.Attribute)
            {
                list.Add(Parse(ctx, m.Data, m.Address));
            }
            else if (m.Type == H5ObjectHeader.AttributeInfo)
            {
                // Attribute name index records (type 8): an 8-byte heap ID first.
                H5FractalHeap.WalkDenseStorage(ctx, m, creationIndexSize: 2, idOffset: 0, idLength: 8, (attribute, at) => list.Add(Parse(ctx, attribute, at)));
            }
        }

        return list;
    }
}
