namespace FmriToImage.Data.Hdf5;

/// <summary>The HDF5 datatype classes the reader distinguishes.</summary>
internal enum Hdf5TypeClass
{
    /// <summary>Integers of 1, 2, 4 or 8 bytes, signed or unsigned (HDF5 class 0).</summary>
    FixedPoint,
    /// <summary>IEEE floats of 2, 4 or 8 bytes (HDF5 class 1).</summary>
    FloatingPoint,
    /// <summary>Fixed-length strings (HDF5 class 3).</summary>
    String,
    /// <summary>Variable-length strings (HDF5 class 9, string variant).</summary>
    VariableLengthString,
    /// <summary>Any other class (compound, enum, reference, array, opaque, bitfield, …): listed, not readable.</summary>
    Other,
}
