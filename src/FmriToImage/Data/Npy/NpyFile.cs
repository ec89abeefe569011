using System.Buffers.Binary;
using System.Globalization;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Text;

namespace FmriToImage.Data.Npy;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0; element types
/// <c>b1 i1 u1 i2 u2 i4 u4 i8 u8 f2 f4 f8</c>; little- or big-endian; C or Fortran order).
/// </summary>
/// <remarks>
/// Tensors returned by the readers are always in C (row-major) order with the shape NumPy reports, whatever the
/// file's order. Files are written as version 1.0 (2.0 when the header needs more than 65535 bytes), little-endian,
/// C order, with the header padded so that the data start on a 64-byte boundary, exactly as <c>numpy.save</c> does.
/// All members are thread-safe (they share no state).
/// </remarks>
public static class NpyFile
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads only the header of the file at <paramref name="path"/>.</summary>
    /// <exception cref="NpyFormatException">The header is malformed or the data would not fit the file.</exception>
    internal static NpyHeader ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadHeader(stream, path);
    }

    /// <summary>
    /// Reads a NumPy object array's file (<c>'descr': '|O'</c>, as <c>numpy.save</c> writes a dict): checks the header
    /// and returns the pickle that follows it, with its offset in the file. The pickle is not interpreted here.
    /// </summary>
    /// <exception cref="NpyFormatException">The header is malformed or does not describe a C-order object array.</exception>
    internal static (byte[] Pickle, long Offset) ReadObjectArrayPickle(string path, int maxBytes)
    {
        using var stream = File.OpenRead(path);
        var (_, _, descr, fortran, _, dataOffset) = ReadHeaderDictionary(stream, path);
        if (descr != "|O" || fortran)
        {
            throw new NpyFormatException(path, 0, $"expected a pickled object array ('descr': '|O', C order), found '{descr}'{(fortran ? " in Fortran order" : "")}");
        }

        long length = stream.Length - dataOffset;
        if (length > maxBytes)
        {
            throw new NpyFormatException(path, dataOffset, $"the pickled object takes {length} bytes; at most {maxBytes} are read");
        }

        var pickle = new byte[length];
        stream.ReadExactly(pickle);
        return (pickle, dataOffset);
    }

    /// <summary>Reads the preamble and the header dictionary; the stream is left at the first data byte.</summary>
    private static (int Major, int Minor, string Descr, bool Fortran, long[] Shape, long DataOffset) ReadHeaderDictionary(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> prefix = stackalloc byte[12];
        int got = stream.ReadAtLeast(prefix[..10], 10, throwOnEndOfStream: false);
        if (got < 10 || !prefix[..6].SequenceEqual(Magic))
        {
            throw new NpyFormatException(name, 0, got < 10 ? $"file is {got} bytes long, shorter than the 10-byte preamble" : "missing the \\x93NUMPY magic number");
        }

        int major = prefix[6], minor = prefix[7];
        long headerLength;
        int preamble;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix[8..]);
            preamble = 10;
        }
        else if (major is 2 or 3)
        {
            if (stream.ReadAtLeast(prefix[10..12], 2, throwOnEndOfStream: false) < 2)
            {
                throw new NpyFormatException(name, 10, "truncated header length");
            }

            headerLength = BinaryPrimitives.ReadUInt32LittleEndian(prefix[8..]);
            preamble = 12;
        }
        else
        {
            throw new NpyFormatException(name, 6, $"unsupported format version {major}.{minor} (expected 1.0, 2.0 or 3.0)");
        }

        long remaining = stream.CanSeek ? stream.Length - stream.Position : long.MaxValue;
        if (headerLength > remaining || headerLength > 1 << 24)
        {
            throw new NpyFormatException(name, preamble, $"header length {headerLength} exceeds the {(stream.CanSeek ? remaining : 1 << 24)} bytes available");
        }

        var headerBytes = new byte[headerLength];
        if (stream.ReadAtLeast(headerBytes, headerBytes.Length, throwOnEndOfStream: false) < headerBytes.Length)
        {
            throw new NpyFormatException(name, preamble, $"truncated header: {headerLength} bytes announced");
        }

        string text;
        try
        {
            text = major == 3 ? new UTF8Encoding(false, true).GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new NpyFormatException(name, preamble, "header is not valid UTF-8", e);
        }

        var (descr, fortran, shape) = NpyHeaderParser.Parse(text, name, preamble);
        return (major, minor, descr, fortran, shape, preamble + headerLength);
    }

    /// <summary>Reads the header from <paramref name="stream"/>, which is left positioned at the first data byte.</summary>
    /// <param name="stream">The stream positioned at the magic number.</param>
    /// <param name="name">A name for the stream used in error messages.</param>
    /// <exception cref="NpyFormatException">The header is malformed or the data would not fit the stream.</exception>
    internal static NpyHeader ReadHeader(Stream stream, string name)
    {
        var (major, minor, descr, fortran, shape, dataOffset) = ReadHeaderDictionary(stream, name);
        long preamble = major == 1 ? 10 : 12;
        var (type, bigEndian) = ParseDescr(descr, name, preamble);
        var header = new NpyHeader(major, minor, type, bigEndian, fortran, shape, dataOffset);
        long bytes;
        try
        {
            bytes = checked(header.ElementCount * header.ElementSize);
        }
        catch (OverflowException e)
        {
            throw new NpyFormatException(name, preamble, $"shape ({string.Join(", ", shape)}) is too large", e);
        }

        long available = stream.CanSeek ? stream.Length - stream.Position : long.MaxValue;
        if (bytes > available)
        {
            throw new NpyFormatException(name, header.DataOffset, $"shape ({string.Join(", ", shape)}) of {descr} needs {bytes} data bytes but {available} remain");
        }

        return header;
    }

    /// <summary>Reads the file at <paramref name="path"/> into a tensor of its own element type.</summary>
    /// <typeparam name="T">Must match the stored type: bool, sbyte, byte, short, ushort, int, uint, long, ulong, Half, float or double.</typeparam>
    /// <returns>A tensor with the file's shape in C order.</returns>
    /// <exception cref="NpyFormatException">The file is malformed or its element type is not <typeparamref name="T"/>.</exception>
    public static Tensor<T> Read<T>(string path)
        where T : unmanaged
    {
        using var stream = File.OpenRead(path);
        return Read<T>(stream, path);
    }

    /// <summary>Reads a <c>.npy</c> stream into a tensor of its own element type (see <see cref="Read{T}(string)"/>).</summary>
    /// <param name="stream">The stream positioned at the magic number.</param>
    /// <param name="name">A name for the stream used in error messages.</param>
    /// <exception cref="NpyFormatException">The stream is malformed or its element type is not <typeparamref name="T"/>.</exception>
    public static Tensor<T> Read<T>(Stream stream, string name)
        where T : unmanaged
    {
        ElementKind wanted = ToDataType<T>();
        var (header, data) = ReadRaw(stream, name);
        if (header.DataType != wanted)
        {
            throw new NpyFormatException(name, 0, $"element type is {header.DataType}, but {typeof(T).Name} ({wanted}) was requested; use ReadAsSingle to convert");
        }

        T[] values = MemoryMarshal.Cast<byte, T>(data).ToArray();
        return Tensor.Create(values, ToLengths(header.Shape));
    }

    /// <summary>Reads the file at <paramref name="path"/> converting any element type to <see cref="float"/>.</summary>
    /// <returns>A float tensor with the file's shape in C order.</returns>
    /// <exception cref="MalformedFileException">The file is malformed.</exception>
    public static Tensor<float> ReadAsSingle(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadAsSingle(stream, path);
    }

    /// <summary>Reads a <c>.npy</c> stream converting any element type to <see cref="float"/>.</summary>
    /// <param name="stream">The stream positioned at the magic number.</param>
    /// <param name="name">A name for the stream used in error messages.</param>
    /// <exception cref="MalformedFileException">The stream is malformed.</exception>
    public static Tensor<float> ReadAsSingle(Stream stream, string name)
    {
        var (header, data) = ReadRaw(stream, name);
        var values = new float[header.ElementCount];
        ElementConverter.ToSingle(data, header.DataType, bigEndian: false, values);
        return Tensor.Create(values, ToLengths(header.Shape));
    }

    /// <summary>Writes <paramref name="tensor"/> to <paramref name="path"/> as a version-1.0 little-endian C-order file.</summary>
    /// <typeparam name="T">bool, sbyte, byte, short, ushort, int, uint, long, ulong, Half, float or double.</typeparam>
    public static void Write<T>(string path, Tensor<T> tensor)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var values = new T[tensor.FlattenedLength];
        tensor.FlattenTo(values);
        var shape = new long[tensor.Rank];
        for (int i = 0; i < shape.Length; i++)
        {
            shape[i] = tensor.Lengths[i];
        }

        Write<T>(path, values, shape);
    }

    /// <summary>Writes C-ordered <paramref name="data"/> with <paramref name="shape"/> to <paramref name="path"/>.</summary>
    /// <param name="path">The file to create or overwrite.</param>
    /// <param name="data">The elements in C order; its length must equal the product of <paramref name="shape"/>.</param>
    /// <param name="shape">The array shape; empty for a scalar.</param>
    /// <exception cref="ArgumentException">The data length does not match the shape.</exception>
    public static void Write<T>(string path, ReadOnlySpan<T> data, ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        using var stream = File.Create(path);
        Write(stream, data, shape);
    }

    /// <summary>Writes C-ordered <paramref name="data"/> with <paramref name="shape"/> to <paramref name="stream"/>.</summary>
    /// <param name="stream">The destination stream.</param>
    /// <param name="data">The elements in C order; its length must equal the product of <paramref name="shape"/>.</param>
    /// <param name="shape">The array shape; empty for a scalar.</param>
    /// <exception cref="ArgumentException">The data length does not match the shape.</exception>
    public static void Write<T>(Stream stream, ReadOnlySpan<T> data, ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(stream);
        ElementKind type = ToDataType<T>();
        long count = 1;
        foreach (long d in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
            count *= d;
        }

        if (count != data.Length)
        {
            throw new ArgumentException($"shape ({string.Join(", ", shape.ToArray())}) holds {count} elements but data has {data.Length}", nameof(data));
        }

        string dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape.ToArray().Select(d => d.ToString(CultureInfo.InvariantCulture)));
        string dict = $"{{'descr': '{Descr(type)}', 'fortran_order': False, 'shape': ({dims}), }}";
        int major = dict.Length + 11 > ushort.MaxValue ? 2 : 1;
        int preamble = major == 1 ? 10 : 12;
        int total = (preamble + dict.Length + 1 + 63) / 64 * 64;
        string padded = dict.PadRight(total - preamble - 1) + "\n";
        Span<byte> head = stackalloc byte[12];
        Magic.CopyTo(head);
        head[6] = (byte)major;
        head[7] = 0;
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(head[8..], (ushort)padded.Length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(head[8..], (uint)padded.Length);
        }

        stream.Write(head[..preamble]);
        stream.Write(Encoding.Latin1.GetBytes(padded));
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(data);
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(bytes);
        }
        else
        {
            var copy = bytes.ToArray();
            ElementConverter.ReverseEndianness(copy, ElementConverter.SizeOf(type));
            stream.Write(copy);
        }
    }

    /// <summary>Reads header and data; the returned bytes are native-endian and in C order.</summary>
    private static (NpyHeader Header, byte[] Data) ReadRaw(Stream stream, string name)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
        {
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            stream = copy;
        }

        NpyHeader header = ReadHeader(stream, name);
        int size = header.ElementSize;
        ReadLimits.Check(name, header.Shape, header.ElementCount, size, "read a .npy this large in parts");
        var data = new byte[header.ElementCount * size];
        if (stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false) < data.Length)
        {
            throw new NpyFormatException(name, header.DataOffset, $"truncated data: {data.Length} bytes expected");
        }

        if (header.IsBigEndian == BitConverter.IsLittleEndian)
        {
            ElementConverter.ReverseEndianness(data, size);
        }

        if (header.FortranOrder && header.Shape.Length > 1)
        {
            data = FortranToC(data, header.Shape, size);
        }

        return (header, data);
    }

    private static byte[] FortranToC(byte[] source, long[] shape, int size)
    {
        int rank = shape.Length;
        var fortranStrides = new long[rank];
        long stride = 1;
        for (int i = 0; i < rank; i++)
        {
            fortranStrides[i] = stride;
            stride *= shape[i];
        }

        var result = new byte[source.Length];
        var index = new long[rank];
        long sourceElement = 0;
        long count = source.Length / size;
        for (long c = 0; c < count; c++)
        {
            Buffer.BlockCopy(source, (int)(sourceElement * size), result, (int)(c * size), size);

            // Advance the C-order multi-index (last dimension fastest) and keep the Fortran offset in step.
            for (int d = rank - 1; d >= 0; d--)
            {
                index[d]++;
                sourceElement += fortranStrides[d];
                if (index[d] < shape[d])
                {
                    break;
                }

                sourceElement -= fortranStrides[d] * shape[d];
                index[d] = 0;
            }
        }

        return result;
    }

    private static (ElementKind, bool) ParseDescr(string descr, string name, long offset)
    {
        if (descr.Length < 3)
        {
            throw new NpyFormatException(name, offset, $"unsupported dtype descr '{descr}'");
        }

        char order = descr[0];
        ElementKind? type = descr[1..] switch
        {
            "b1" => ElementKind.Bool,
            "i1" => ElementKind.Int8,
            "u1" => ElementKind.UInt8,
            "i2" => ElementKind.Int16,
            "u2" => ElementKind.UInt16,
            "i4" => ElementKind.Int32,
            "u4" => ElementKind.UInt32,
            "i8" => ElementKind.Int64,
            "u8" => ElementKind.UInt64,
            "f2" => ElementKind.Float16,
            "f4" => ElementKind.Float32,
            "f8" => ElementKind.Float64,
            _ => null,
        };
        if (type is null || order is not ('<' or '>' or '|' or '='))
        {
            throw new NpyFormatException(name, offset, $"unsupported dtype descr '{descr}' (supported: b1 i1 u1 i2 u2 i4 u4 i8 u8 f2 f4 f8 with <, > or |)");
        }

        bool bigEndian = order == '>' || (order == '=' && !BitConverter.IsLittleEndian);
        return (type.Value, bigEndian);
    }

    private static string Descr(ElementKind type) => type switch
    {
        ElementKind.Bool => "|b1",
        ElementKind.Int8 => "|i1",
        ElementKind.UInt8 => "|u1",
        ElementKind.Int16 => "<i2",
        ElementKind.UInt16 => "<u2",
        ElementKind.Int32 => "<i4",
        ElementKind.UInt32 => "<u4",
        ElementKind.Int64 => "<i8",
        ElementKind.UInt64 => "<u8",
        ElementKind.Float16 => "<f2",
        ElementKind.Float32 => "<f4",
        _ => "<f8",
    };

    private static ElementKind ToDataType<T>()
    {
        Type t = typeof(T);
        if (t == typeof(bool)) return ElementKind.Bool;
        if (t == typeof(sbyte)) return ElementKind.Int8;
        if (t == typeof(byte)) return ElementKind.UInt8;
        if (t == typeof(short)) return ElementKind.Int16;
        if (t == typeof(ushort)) return ElementKind.UInt16;
        if (t == typeof(int)) return ElementKind.Int32;
        if (t == typeof(uint)) return ElementKind.UInt32;
        if (t == typeof(long)) return ElementKind.Int64;
        if (t == typeof(ulong)) return ElementKind.UInt64;
        if (t == typeof(Half)) return ElementKind.Float16;
        if (t == typeof(float)) return ElementKind.Float32;
        if (t == typeof(double)) return ElementKind.Float64;
        throw new NotSupportedException($"{t.Name} has no .npy element type (use bool, sbyte, byte, short, ushort, int, uint, long, ulong, Half, float or double)");
    }

    private static nint[] ToLengths(long[] shape)
    {
        // A scalar (shape ()) becomes a one-element rank-1 tensor: Tensor<T> has no rank 0.
        if (shape.Length == 0)
        {
            return [1];
        }

        var lengths = new nint[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            lengths[i] = (nint)shape[i];
        }

        return lengths;
    }
}
