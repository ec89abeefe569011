namespace FmriToImage.Data.Hdf5;

/// <summary>The chunk index of a chunked dataset (HDF5 1.8 files use <see cref="BTreeV1"/>; the others come with layout message version 4, HDF5 1.10+).</summary>
internal enum Hdf5ChunkIndexType
{
    /// <summary>Not chunked.</summary>
    None,
    /// <summary>Version-1 B-tree (layout v3; every file written with the default "earliest" format).</summary>
    BTreeV1,
    /// <summary>A single chunk covering the whole dataset.</summary>
    SingleChunk,
    /// <summary>Implicit: chunks stored in order without an index (early allocation, no filters).</summary>
    Implicit,
    /// <summary>Fixed array (fixed-size datasets).</summary>
    FixedArray,
    /// <summary>Extensible array (one unlimited dimension).</summary>
    ExtensibleArray,
    /// <summary>Version-2 B-tree (several unlimited dimensions).</summary>
    BTreeV2,
}
