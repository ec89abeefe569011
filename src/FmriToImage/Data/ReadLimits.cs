namespace FmriToImage.Data;

/// <summary>
/// The size rule every reader applies before it allocates: what a read allocates for its caller follows from the
/// declared shape and what the caller asked for (never from the file alone), and is at most <see cref="MaxValues"/>;
/// storage a file declares as present (contiguous data, chunks, compressed streams) must also fit in the file's length.
/// </summary>
internal static class ReadLimits
{
    /// <summary>
    /// The most values (elements, converted to float: 4 bytes each) one read allocates: 2^30, 4 GiB of floats. MindEye2's
    /// largest betas file (30,000 trials × 15,724 voxels) is 0.47 × 2^30; larger files are read in parts (a trial limit,
    /// hyperslabs, volume by volume).
    /// </summary>
    public const long MaxValues = 1L << 30;

    /// <summary>Throws <see cref="DataSizeLimitException"/> when <paramref name="values"/> exceeds <see cref="MaxValues"/> (or is negative: an overflowed product).</summary>
    internal static void Check(string filePath, IEnumerable<long> declaredShape, long values, string detail)
    {
        if (values < 0 || values > MaxValues)
        {
            throw new DataSizeLimitException(filePath, Describe(declaredShape), values < 0 ? long.MaxValue : values, MaxValues, detail);
        }
    }

    /// <summary>
    /// As <see cref="Check(string, IEnumerable{long}, long, string)"/> for a read that also keeps the raw bytes in one
    /// array: the values must also fit one array of <paramref name="elementBytes"/>-byte elements.
    /// </summary>
    internal static void Check(string filePath, IEnumerable<long> declaredShape, long values, int elementBytes, string detail)
    {
        long limit = Math.Min(MaxValues, Array.MaxLength / Math.Max(elementBytes, 1));
        if (values < 0 || values > limit)
        {
            throw new DataSizeLimitException(filePath, Describe(declaredShape), values < 0 ? long.MaxValue : values, limit, detail);
        }
    }

    /// <summary>The product of <paramref name="factors"/>, or -1 when it overflows a long.</summary>
    internal static long Product(params ReadOnlySpan<long> factors)
    {
        long p = 1;
        foreach (long f in factors)
        {
            if (f < 0 || (f > 0 && p > long.MaxValue / f))
            {
                return -1;
            }

            p *= f;
        }

        return p;
    }

    internal static string Describe(IEnumerable<long> shape) => $"({string.Join(", ", shape)})";
}
