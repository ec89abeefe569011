namespace FmriToImage.Onnx;

/// <summary>Element types of ONNX tensors (<c>ONNXTensorElementDataType</c>); the values are ONNX Runtime's.</summary>
public enum OrtTensorElementType
{
    /// <summary>Not a tensor, or unknown.</summary>
    Undefined = 0,

    /// <summary>32-bit IEEE float (<see cref="float"/>).</summary>
    Float = 1,

    /// <summary>Unsigned 8-bit integer (<see cref="byte"/>).</summary>
    UInt8 = 2,

    /// <summary>Signed 8-bit integer (<see cref="sbyte"/>).</summary>
    Int8 = 3,

    /// <summary>Unsigned 16-bit integer (<see cref="ushort"/>).</summary>
    UInt16 = 4,

    /// <summary>Signed 16-bit integer (<see cref="short"/>).</summary>
    Int16 = 5,

    /// <summary>Signed 32-bit integer (<see cref="int"/>).</summary>
    Int32 = 6,

    /// <summary>Signed 64-bit integer (<see cref="long"/>).</summary>
    Int64 = 7,

    /// <summary>String tensor (not supported by this binding's value factories).</summary>
    String = 8,

    /// <summary>Boolean, one byte per element (<see cref="bool"/>).</summary>
    Bool = 9,

    /// <summary>16-bit IEEE float (<see cref="Half"/>).</summary>
    Float16 = 10,

    /// <summary>64-bit IEEE float (<see cref="double"/>).</summary>
    Double = 11,

    /// <summary>Unsigned 32-bit integer (<see cref="uint"/>).</summary>
    UInt32 = 12,

    /// <summary>Unsigned 64-bit integer (<see cref="ulong"/>).</summary>
    UInt64 = 13,

    /// <summary>Complex of two 32-bit floats (no .NET element type mapped).</summary>
    Complex64 = 14,

    /// <summary>Complex of two 64-bit floats (no .NET element type mapped).</summary>
    Complex128 = 15,

    /// <summary>bfloat16 (no .NET element type mapped).</summary>
    BFloat16 = 16,
}
