namespace FmriToImage.Data.Hdf5;

/// <summary>An HDF5 element type as stored in the file.</summary>
/// <param name="Class">The datatype class.</param>
/// <param name="Size">Bytes per element (for variable-length strings: the size of the reference in the file).</param>
/// <param name="IsSigned">For fixed-point types, true when signed (two's complement).</param>
/// <param name="IsBigEndian">True when stored big-endian.</param>
/// <param name="HdfClassCode">The raw HDF5 class code (0 fixed-point, 1 float, 3 string, 9 variable-length, …).</param>
internal sealed record Hdf5DataType(Hdf5TypeClass Class, int Size, bool IsSigned, bool IsBigEndian, int HdfClassCode)
{
    /// <summary>True for types <see cref="Hdf5Dataset"/> can convert to float: integers of 1/2/4/8 bytes and floats of 2/4/8 bytes.</summary>
    public bool IsNumeric => TryGetElementKind(out _);

    /// <summary>A short NumPy-like name, e.g. <c>&lt;i2</c>, <c>&gt;f4</c>, <c>S9</c>, <c>vlen-str</c>.</summary>
    public override string ToString() => Class switch
    {
        Hdf5TypeClass.FixedPoint => $"{(IsBigEndian ? '>' : '<')}{(IsSigned ? 'i' : 'u')}{Size}",
        Hdf5TypeClass.FloatingPoint => $"{(IsBigEndian ? '>' : '<')}f{Size}",
        Hdf5TypeClass.String => $"S{Size}",
        Hdf5TypeClass.VariableLengthString => "vlen-str",
        _ => $"class{HdfClassCode}",
    };

    /// <summary>The type in words for messages, e.g. "compound (HDF5 class 6), 12 bytes" or "fixed-point, 3 bytes".</summary>
    internal string Describe()
    {
        string name = HdfClassCode switch
        {
            0 => "fixed-point",
            1 => "floating-point",
            2 => "time",
            3 => "fixed-length string",
            4 => "bitfield",
            5 => "opaque",
            6 => "compound",
            7 => "reference",
            8 => "enum",
            9 => Class == Hdf5TypeClass.VariableLengthString ? "variable-length string" : "variable-length sequence",
            10 => "array",
            _ => "unknown",
        };
        return $"{name} (HDF5 class {HdfClassCode}), {Size} bytes";
    }

    internal bool TryGetElementKind(out ElementKind kind)
    {
        kind = (Class, Size, IsSigned) switch
        {
            (Hdf5TypeClass.FixedPoint, 1, true) => ElementKind.Int8,
            (Hdf5TypeClass.FixedPoint, 1, false) => ElementKind.UInt8,
            (Hdf5TypeClass.FixedPoint, 2, true) => ElementKind.Int16,
            (Hdf5TypeClass.FixedPoint, 2, false) => ElementKind.UInt16,
            (Hdf5TypeClass.FixedPoint, 4, true) => ElementKind.Int32,
            (Hdf5TypeClass.FixedPoint, 4, false) => ElementKind.UInt32,
            (Hdf5TypeClass.FixedPoint, 8, true) => ElementKind.Int64,
            (Hdf5TypeClass.FixedPoint, 8, false) => ElementKind.UInt64,
            (Hdf5TypeClass.FloatingPoint, 2, _) => ElementKind.Float16,
            (Hdf5TypeClass.FloatingPoint, 4, _) => ElementKind.Float32,
            (Hdf5TypeClass.FloatingPoint, 8, _) => ElementKind.Float64,
            _ => ElementKind.Bool,
        };
        return kind != ElementKind.Bool;
    }

    /// <summary>Parses a datatype message.</summary>
    internal static Hdf5DataType Parse(ref H5Cursor c)
    {
        byte classAndVersion = c.U8();
        int cls = classAndVersion & 0x0F;
        byte bits0 = c.U8();
        c.Skip(2);
        uint size = c.U32();
        if (size is 0 or > 1 << 20)
        {
            throw c.Error($"datatype size {size} is impossible");
        }

        bool big = (bits0 & 1) != 0;
        switch (cls)
        {
            case 0:
                return new Hdf5DataType(Hdf5TypeClass.FixedPoint, (int)size, (bits0 & 0x08) != 0, big, cls);
            case 1:
                if ((bits0 & 0x40) != 0)
                {
                    throw c.Error("VAX-order floating point is not supported");
                }

                return new Hdf5DataType(Hdf5TypeClass.FloatingPoint, (int)size, true, big, cls);
            case 3:
                return new Hdf5DataType(Hdf5TypeClass.String, (int)size, false, false, cls);
            case 9:
                // Variable-length: bits 0-1 = 1 means a string.
                return new Hdf5DataType((bits0 & 0x03) == 1 ? Hdf5TypeClass.VariableLengthString : Hdf5TypeClass.Other, (int)size, false, false, cls);
            default:
                return new Hdf5DataType(Hdf5TypeClass.Other, (int)size, false, big, cls);
        }
    }
}
