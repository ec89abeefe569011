namespace FmriToImage.Data.Npy;

/// <summary>The parsed header of a <c>.npy</c> file.</summary>
/// <param name="MajorVersion">Format major version (1, 2 or 3).</param>
/// <param name="MinorVersion">Format minor version (0).</param>
/// <param name="DataType">The element type.</param>
/// <param name="IsBigEndian">True when the elements are stored big-endian (<c>'&gt;'</c> in <c>descr</c>).</param>
/// <param name="FortranOrder">True when the data are stored in Fortran (column-major) order.</param>
/// <param name="Shape">The array shape as NumPy reports it; empty for a scalar.</param>
/// <param name="DataOffset">Byte offset of the first element.</param>
internal sealed record NpyHeader(int MajorVersion, int MinorVersion, ElementKind DataType, bool IsBigEndian, bool FortranOrder, long[] Shape, long DataOffset)
{
    /// <summary>The number of elements (product of <see cref="Shape"/>; 1 for a scalar).</summary>
    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (long d in Shape)
            {
                n = checked(n * d);
            }

            return n;
        }
    }

    /// <summary>The size of one element in bytes.</summary>
    public int ElementSize => ElementConverter.SizeOf(DataType);
}
