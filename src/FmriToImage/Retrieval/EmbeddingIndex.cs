using System.IO.MemoryMappedFiles;
using System.Numerics.Tensors;
using FmriToImage.Data;
using FmriToImage.Data.Npy;

namespace FmriToImage.Retrieval;

/// <summary>
/// A set of candidate embeddings (images for brain → image retrieval, brains for image → brain) searched by cosine
/// similarity: top-k by SIMD dot products over unit-normalised rows. Built in memory from a matrix, or memory-mapped
/// from a float32 <c>.npy</c> file so that candidate sets larger than memory are searched without loading them.
/// </summary>
/// <remarks>
/// Searching is thread-safe, also against a concurrent <see cref="Dispose"/>: a search holds a lease on the mapping, so
/// the file is unmapped when the last search ends; searches started after disposal throw
/// <see cref="ObjectDisposedException"/>. A memory-mapped index owns its mapping; dispose it.
/// </remarks>
public sealed unsafe class EmbeddingIndex : IDisposable
{
    private readonly float[]? _rows;
    private readonly float[] _inverseNorms;
    private readonly MemoryMappedFile? _mapped;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly float* _mappedRows;
    private int _disposed;

    private EmbeddingIndex(float[]? rows, float[] inverseNorms, int count, int dimension, MemoryMappedFile? mapped, MemoryMappedViewAccessor? view, float* mappedRows)
    {
        _rows = rows;
        _inverseNorms = inverseNorms;
        Count = count;
        Dimension = dimension;
        _mapped = mapped;
        _view = view;
        _mappedRows = mappedRows;
    }

    /// <summary>The number of candidates.</summary>
    public int Count { get; }

    /// <summary>Floats per embedding.</summary>
    public int Dimension { get; }

    /// <summary>Builds an index over a copy of <paramref name="embeddings"/> (count × dimension, row-major).</summary>
    /// <param name="embeddings">The candidates.</param>
    /// <param name="dimension">Floats per embedding.</param>
    /// <returns>The index.</returns>
    /// <exception cref="ArgumentException">The length is not a whole number of rows, or a value is not finite.</exception>
    public static EmbeddingIndex Create(ReadOnlySpan<float> embeddings, int dimension)
    {
        var count = Numerics.EmbeddingMath.RowCount(embeddings.Length, dimension, nameof(embeddings));
        if (!TensorPrimitives.IsFiniteAll(embeddings))
        {
            throw new ArgumentException("The embeddings contain NaN or infinity.", nameof(embeddings));
        }

        var copy = embeddings.ToArray();
        Numerics.EmbeddingMath.NormalizeRows(copy, dimension);
        var ones = new float[count];
        ones.AsSpan().Fill(1f);
        return new EmbeddingIndex(copy, ones, count, dimension, null, null, null);
    }

    /// <summary>Builds an index over a [count, dimension] tensor.</summary>
    /// <param name="embeddings">The candidates, rank 2.</param>
    /// <returns>The index.</returns>
    public static EmbeddingIndex Create(System.Numerics.Tensors.Tensor<float> embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Rank != 2)
        {
            throw new ArgumentException($"An embedding matrix has rank 2 [count, dimension], not {embeddings.Rank}.", nameof(embeddings));
        }

        return Create(embeddings.ToArray(), (int)embeddings.Lengths[1]);
    }

    /// <summary>
    /// Memory-maps a float32, little-endian, C-order <c>.npy</c> file of shape [count, dimension]. Only the row norms
    /// (count floats) are held in memory; the rows stay in the file.
    /// </summary>
    /// <param name="path">The .npy file.</param>
    /// <returns>The index; dispose it to unmap the file.</returns>
    /// <exception cref="MalformedFileException">The file is not a rank-2 little-endian float32 C-order array, is shorter than its shape needs, or holds NaN or infinity (the row and column are named).</exception>
    public static EmbeddingIndex OpenNpy(string path)
    {
        var header = NpyFile.ReadHeader(path);
        if (header.Shape.Length != 2 || header.FortranOrder || header.DataType != ElementKind.Float32 || header.IsBigEndian)
        {
            throw new NpyFormatException(path, 0, $"a memory-mapped embedding index needs a rank-2 little-endian float32 C-order array; this is {header.DataType}{(header.IsBigEndian ? " big-endian" : "")}{(header.FortranOrder ? " Fortran-order" : "")} of shape ({string.Join(", ", header.Shape)}).");
        }

        var count = checked((int)header.Shape[0]);
        var dimension = checked((int)header.Shape[1]);
        var needed = header.DataOffset + ((long)count * dimension * sizeof(float));
        var length = new FileInfo(path).Length;
        if (length < needed)
        {
            throw new NpyFormatException(path, header.DataOffset, $"shape ({count}, {dimension}) of float32 needs {needed - header.DataOffset} data bytes but {length - header.DataOffset} remain.");
        }

        var mapped = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        var acquired = false;
        try
        {
            view = mapped.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* start = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            acquired = true;
            var data = (float*)(start + view.PointerOffset + header.DataOffset);
            var inverseNorms = new float[count];
            for (var r = 0; r < count; r++)
            {
                var row = new ReadOnlySpan<float>(data + ((long)r * dimension), dimension);
                if (!TensorPrimitives.IsFiniteAll(row))
                {
                    var column = IndexOfNonFinite(row);
                    throw new NpyFormatException(path, header.DataOffset + ((((long)r * dimension) + column) * sizeof(float)), $"row {r}, column {column} is {row[column]}; an embedding index needs finite values.");
                }

                var norm = TensorPrimitives.Norm(row);
                inverseNorms[r] = norm > 0 ? 1f / norm : 0f;
            }

            return new EmbeddingIndex(null, inverseNorms, count, dimension, mapped, view, data);
        }
        catch
        {
            if (acquired)
            {
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            }

            view?.Dispose();
            mapped.Dispose();
            throw;
        }
    }

    /// <summary>The cosine similarity of <paramref name="query"/> with every candidate.</summary>
    /// <param name="query"><see cref="Dimension"/> floats.</param>
    /// <param name="destination"><see cref="Count"/> slots.</param>
    /// <exception cref="ArgumentException">Wrong lengths.</exception>
    /// <exception cref="ObjectDisposedException">The index was disposed.</exception>
    public void Similarities(ReadOnlySpan<float> query, Span<float> destination)
    {
        if (query.Length != Dimension || destination.Length != Count)
        {
            throw new ArgumentException($"The query has {query.Length} floats (index: {Dimension}) and the destination {destination.Length} slots (index: {Count} candidates).", nameof(query));
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var queryNorm = TensorPrimitives.Norm(query);
        var scale = queryNorm > 0 ? 1f / queryNorm : 0f;

        // A lease on the mapping for the whole search: a concurrent Dispose then unmaps only after the last lease ends,
        // and a search after Dispose fails here (ObjectDisposedException) instead of reading unmapped memory.
        var leased = false;
        try
        {
            _view?.SafeMemoryMappedViewHandle.DangerousAddRef(ref leased);
            for (var r = 0; r < Count; r++)
            {
                destination[r] = TensorPrimitives.Dot(query, Row(r)) * _inverseNorms[r] * scale;
            }
        }
        finally
        {
            if (leased)
            {
                _view!.SafeMemoryMappedViewHandle.DangerousRelease();
            }
        }
    }

    /// <summary>The <paramref name="k"/> candidates most similar to <paramref name="query"/>, most similar first (ties: lower index first).</summary>
    /// <param name="query"><see cref="Dimension"/> floats.</param>
    /// <param name="k">How many, 1 … <see cref="Count"/>.</param>
    /// <returns>The hits.</returns>
    /// <exception cref="ArgumentException">The query has another length than <see cref="Dimension"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is outside 1 … <see cref="Count"/>.</exception>
    /// <exception cref="ObjectDisposedException">The index was disposed.</exception>
    public RetrievalHit[] TopK(ReadOnlySpan<float> query, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, Count);
        var scores = new float[Count];
        Similarities(query, scores);

        // A min-heap of the best k so far, ordered by (score, then larger index first) so ties keep lower indices.
        var heap = new PriorityQueue<int, (float Score, int NegativeIndex)>(k + 1);
        for (var r = 0; r < Count; r++)
        {
            var key = (scores[r], -r);
            if (heap.Count < k)
            {
                heap.Enqueue(r, key);
            }
            else if (heap.TryPeek(out _, out var worst) && key.CompareTo(worst) > 0)
            {
                heap.EnqueueDequeue(r, key);
            }
        }

        var hits = new RetrievalHit[heap.Count];
        for (var i = hits.Length - 1; i >= 0; i--)
        {
            var index = heap.Dequeue();
            hits[i] = new RetrievalHit(index, scores[index]);
        }

        return hits;
    }

    /// <summary>Unmaps a memory-mapped index. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_view is not null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
        }

        _mapped?.Dispose();
    }

    private static int IndexOfNonFinite(ReadOnlySpan<float> row)
    {
        for (var i = 0; i < row.Length; i++)
        {
            if (!float.IsFinite(row[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private ReadOnlySpan<float> Row(int r) =>
        _rows is not null ? _rows.AsSpan(r * Dimension, Dimension) : new ReadOnlySpan<float>(_mappedRows + ((long)r * Dimension), Dimension);
}
