namespace FmriToImage.Data.Hdf5;

/// <summary>How a dataset's elements are stored.</summary>
internal enum Hdf5Layout
{
    /// <summary>Inside the object header.</summary>
    Compact,
    /// <summary>One contiguous block.</summary>
    Contiguous,
    /// <summary>Fixed-size chunks located through a chunk index.</summary>
    Chunked,
}
