namespace FmriToImage.Data.Nifti;

/// <summary>The NIfTI voxel datatypes this reader decodes (values are the <c>DT_*</c> codes of nifti1.h).</summary>
internal enum NiftiDataType : short
{
    /// <summary>Unsigned 8-bit integer (DT_UINT8).</summary>
    UInt8 = 2,
    /// <summary>Signed 16-bit integer (DT_INT16).</summary>
    Int16 = 4,
    /// <summary>Signed 32-bit integer (DT_INT32).</summary>
    Int32 = 8,
    /// <summary>IEEE single precision (DT_FLOAT32).</summary>
    Float32 = 16,
    /// <summary>IEEE double precision (DT_FLOAT64).</summary>
    Float64 = 64,
    /// <summary>Signed 8-bit integer (DT_INT8).</summary>
    Int8 = 256,
    /// <summary>Unsigned 16-bit integer (DT_UINT16).</summary>
    UInt16 = 512,
    /// <summary>Unsigned 32-bit integer (DT_UINT32).</summary>
    UInt32 = 768,
    /// <summary>Signed 64-bit integer (DT_INT64).</summary>
    Int64 = 1024,
    /// <summary>Unsigned 64-bit integer (DT_UINT64).</summary>
    UInt64 = 1280,
}
