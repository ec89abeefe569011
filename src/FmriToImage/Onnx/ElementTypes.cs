using System.Runtime.CompilerServices;

namespace FmriToImage.Onnx;

/// <summary>Maps .NET element types to ONNX Runtime's <see cref="TensorElementType"/> and names them for messages.</summary>
internal static class ElementTypes
{
    /// <summary>The ONNX element type of the .NET type <typeparamref name="T"/>.</summary>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> has no ONNX tensor element type.</exception>
    public static TensorElementType Of<T>()
        where T : unmanaged =>
        TryOf<T>() is { } type
            ? type
            : throw new NotSupportedException($"The .NET type {typeof(T).Name} has no ONNX tensor element type; use float, Half, double, sbyte, byte, short, ushort, int, uint, long, ulong or bool.");

    /// <summary>The size in bytes of one element of <paramref name="type"/>, or 0 when it has no fixed size.</summary>
    public static int SizeOf(TensorElementType type) => type switch
    {
        TensorElementType.Float or TensorElementType.Int32 or TensorElementType.UInt32 => 4,
        TensorElementType.UInt8 or TensorElementType.Int8 or TensorElementType.Bool => 1,
        TensorElementType.UInt16 or TensorElementType.Int16 or TensorElementType.Float16 or TensorElementType.BFloat16 => 2,
        TensorElementType.Int64 or TensorElementType.UInt64 or TensorElementType.Double or TensorElementType.Complex64 => 8,
        TensorElementType.Complex128 => 16,
        _ => 0,
    };

    /// <summary>A short lower-case name for messages, as NumPy spells it (float32, int64, bool, ...).</summary>
    public static string Name(TensorElementType type) => type switch
    {
        TensorElementType.Float => "float32",
        TensorElementType.Float16 => "float16",
        TensorElementType.Double => "float64",
        TensorElementType.BFloat16 => "bfloat16",
        TensorElementType.Bool => "bool",
        TensorElementType.String => "string",
        TensorElementType.DataTypeMax => "undefined",
        _ => type.ToString().ToLowerInvariant(),
    };

    /// <summary>The element type of <typeparamref name="T"/>, or null when it has none.</summary>
    public static TensorElementType? TryOf<T>()
        where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return TensorElementType.Float;
        if (typeof(T) == typeof(Half)) return TensorElementType.Float16;
        if (typeof(T) == typeof(double)) return TensorElementType.Double;
        if (typeof(T) == typeof(long)) return TensorElementType.Int64;
        if (typeof(T) == typeof(int)) return TensorElementType.Int32;
        if (typeof(T) == typeof(byte)) return TensorElementType.UInt8;
        if (typeof(T) == typeof(sbyte)) return TensorElementType.Int8;
        if (typeof(T) == typeof(short)) return TensorElementType.Int16;
        if (typeof(T) == typeof(ushort)) return TensorElementType.UInt16;
        if (typeof(T) == typeof(uint)) return TensorElementType.UInt32;
        if (typeof(T) == typeof(ulong)) return TensorElementType.UInt64;
        if (typeof(T) == typeof(bool) && Unsafe.SizeOf<bool>() == 1) return TensorElementType.Bool;
        return null;
    }
}
