namespace FmriToImage.Data;

/// <summary>The numeric element encodings the brain-data readers convert from (shared by NIfTI, NumPy and HDF5).</summary>
internal enum ElementKind
{
    Bool,
    Int8,
    UInt8,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Float16,
    Float32,
    Float64,
}
