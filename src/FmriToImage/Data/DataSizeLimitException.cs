namespace FmriToImage.Data;

/// <summary>
/// A read would allocate more values than <see cref="ReadLimits.MaxValues"/> for its caller: a file declares a shape
/// (legal or not: HDF5 allows huge datasets whose chunks are never written) whose asked-for part is too large to hold
/// in memory at once. Names the file, the declared shape, the values asked for and the limit; read fewer trials (a
/// limit) or a smaller hyperslab.
/// </summary>
public sealed class DataSizeLimitException : FmriToImageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The file (for HDF5, the file and dataset).</param>
    /// <param name="declaredShape">The shape the file declares, e.g. "(2147483648, 8)".</param>
    /// <param name="requestedValues">The values the read would allocate.</param>
    /// <param name="limit">The most values one read may allocate.</param>
    /// <param name="detail">What to do about it.</param>
    public DataSizeLimitException(string filePath, string declaredShape, long requestedValues, long limit, string detail)
        : base($"{filePath}: declared shape {declaredShape} asks for {requestedValues} values in one read, more than the limit of {limit}; {detail}")
    {
        FilePath = filePath;
        DeclaredShape = declaredShape;
        RequestedValues = requestedValues;
        Limit = limit;
    }

    /// <summary>The file concerned.</summary>
    public string FilePath { get; }

    /// <summary>The shape the file declares.</summary>
    public string DeclaredShape { get; }

    /// <summary>The values the read would have allocated.</summary>
    public long RequestedValues { get; }

    /// <summary>The most values one read may allocate.</summary>
    public long Limit { get; }
}
