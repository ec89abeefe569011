using System.Runtime.CompilerServices;

namespace FmriToImage.Onnx;

/// <summary>Maps .NET element types to ONNX tensor element types and back.</summary>
public static class OrtTensorElementTypes
{
    /// <summary>The ONNX element type of the .NET type <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">float, Half, double, sbyte, byte, short, ushort, int, uint, long, ulong or bool.</typeparam>
    /// <returns>The element type.</returns>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> has no ONNX tensor element type.</exception>
    public static OrtTensorElementType Of<T>()
        where T : unmanaged
    {
        var type = TryOf<T>();
        return type != OrtTensorElementType.Undefined
            ? type
            : throw new NotSupportedException($"The .NET type {typeof(T).Name} has no ONNX tensor element type; use float, Half, double, sbyte, byte, short, ushort, int, uint, long, ulong or bool.");
    }

    /// <summary>The size in bytes of one element of <paramref name="type"/>, or 0 when it has no fixed size.</summary>
    /// <param name="type">The element type.</param>
    /// <returns>Bytes per element.</returns>
    public static int SizeOf(OrtTensorElementType type) => type switch
    {
        OrtTensorElementType.Float or OrtTensorElementType.Int32 or OrtTensorElementType.UInt32 => 4,
        OrtTensorElementType.UInt8 or OrtTensorElementType.Int8 or OrtTensorElementType.Bool => 1,
        OrtTensorElementType.UInt16 or OrtTensorElementType.Int16 or OrtTensorElementType.Float16 or OrtTensorElementType.BFloat16 => 2,
        OrtTensorElementType.Int64 or OrtTensorElementType.UInt64 or OrtTensorElementType.Double or OrtTensorElementType.Complex64 => 8,
        OrtTensorElementType.Complex128 => 16,
        _ => 0,
    };

    /// <summary>A short lower-case name for messages, as NumPy spells it (float32, int64, bool, ...).</summary>
    /// <param name="type">The element type.</param>
    /// <returns>The name.</returns>
    public static string Name(OrtTensorElementType type) => type switch
    {
        OrtTensorElementType.Float => "float32",
        OrtTensorElementType.Float16 => "float16",
        OrtTensorElementType.Double => "float64",
        OrtTensorElementType.BFloat16 => "bfloat16",
        OrtTensorElementType.Bool => "bool",
        OrtTensorElementType.String => "string",
        OrtTensorElementType.Undefined => "undefined",
        _ => type.ToString().ToLowerInvariant(),
    };

    internal static OrtTensorElementType TryOf<T>()
        where T : unmanaged
    {
        if (typeof(T) == typeof(float)) return OrtTensorElementType.Float;
        if (typeof(T) == typeof(Half)) return OrtTensorElementType.Float16;
        if (typeof(T) == typeof(double)) return OrtTensorElementType.Double;
        if (typeof(T) == typeof(long)) return OrtTensorElementType.Int64;
        if (typeof(T) == typeof(int)) return OrtTensorElementType.Int32;
        if (typeof(T) == typeof(byte)) return OrtTensorElementType.UInt8;
        if (typeof(T) == typeof(sbyte)) return OrtTensorElementType.Int8;
        if (typeof(T) == typeof(short)) return OrtTensorElementType.Int16;
        if (typeof(T) == typeof(ushort)) return OrtTensorElementType.UInt16;
        if (typeof(T) == typeof(uint)) return OrtTensorElementType.UInt32;
        if (typeof(T) == typeof(ulong)) return OrtTensorElementType.UInt64;
        if (typeof(T) == typeof(bool) && Unsafe.SizeOf<bool>() == 1) return OrtTensorElementType.Bool;
        return OrtTensorElementType.Undefined;
    }
}
