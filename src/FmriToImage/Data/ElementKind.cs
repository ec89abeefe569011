namespace FmriToImage.Data;

/// <summary>
/// The numeric element types the brain-data readers decode (the element type of a <c>.npy</c> file; the decoded
/// form of NIfTI datatypes and HDF5 integer/float types). NumPy <c>descr</c> codes in brackets.
/// </summary>
internal enum ElementKind
{
    /// <summary>Boolean, one byte (<c>b1</c>).</summary>
    Bool,
    /// <summary>Signed 8-bit integer (<c>i1</c>).</summary>
    Int8,
    /// <summary>Unsigned 8-bit integer (<c>u1</c>).</summary>
    UInt8,
    /// <summary>Signed 16-bit integer (<c>i2</c>).</summary>
    Int16,
    /// <summary>Unsigned 16-bit integer (<c>u2</c>).</summary>
    UInt16,
    /// <summary>Signed 32-bit integer (<c>i4</c>).</summary>
    Int32,
    /// <summary>Unsigned 32-bit integer (<c>u4</c>).</summary>
    UInt32,
    /// <summary>Signed 64-bit integer (<c>i8</c>).</summary>
    Int64,
    /// <summary>Unsigned 64-bit integer (<c>u8</c>).</summary>
    UInt64,
    /// <summary>IEEE half precision (<c>f2</c>).</summary>
    Float16,
    /// <summary>IEEE single precision (<c>f4</c>).</summary>
    Float32,
    /// <summary>IEEE double precision (<c>f8</c>).</summary>
    Float64,
}
