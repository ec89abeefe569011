using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace FmriToImage.Data.Hdf5;

/// <summary>
/// An HDF5 dataset: shape, element type, layout, attributes, and chunk-aware reads of the whole dataset or a
/// hyperslab (start/count/stride per dimension) converted to <see cref="float"/>.
/// </summary>
/// <remarks>
/// Reads are thread-safe (positional file reads; the chunk index is built once, on first use, under a lock). A
/// read touches only the chunks its selection intersects and decodes each of them once. The destination is filled
/// in C order over the selection's counts. Unallocated chunks read as the fill value (0 unless the file defines one).
/// Reading NSD betas voxel by voxel (<c>/betas</c> int16 (750, Z, Y, X), chunks (750,1,1,1)): call
/// <see cref="ReadHyperslab"/> with start (0, z, y, x) and count (750, 1, 1, 1) — one chunk read per voxel.
/// </remarks>
public sealed class Hdf5Dataset
{
    private readonly H5Context _ctx;
    private readonly H5StorageLayout _layout;
    private readonly H5Filter[] _filters;
    private readonly List<H5Message> _messages;
    private readonly H5ChunkIndex? _chunks;
    private readonly float _fill;
    private List<Hdf5Attribute>? _attributes;

    internal Hdf5Dataset(H5Context ctx, string path, List<H5Message> messages)
    {
        _ctx = ctx;
        Path = path;
        _messages = messages;
        H5Message space = Find(H5ObjectHeader.Dataspace, "dataspace");
        var sc = ctx.Cursor(space.Data, space.Address);
        long[] shape = H5Dataspace.Parse(ref sc, out bool isNull, out int unlimited);
        Shape = isNull ? [0] : shape;
        H5Message type = Find(H5ObjectHeader.Datatype, "datatype");
        var tc = ctx.Cursor(type.Data, type.Address);
        DataType = Hdf5DataType.Parse(ref tc);
        _layout = H5StorageLayout.Parse(ctx, Find(H5ObjectHeader.Layout, "data layout"), Shape.Count);
        H5Message? pipeline = messages.FirstOrDefault(m => m.Type == H5ObjectHeader.FilterPipeline);
        _filters = pipeline is null ? [] : H5Filters.Parse(ctx, pipeline);
        long count = 1;
        foreach (long d in Shape)
        {
            count = d == 0 ? 0 : count > long.MaxValue / Math.Max(d, 1) ? throw ctx.Error(space.Address, $"dataset {path} shape overflows") : count * d;
        }

        ElementCount = count;
        _fill = ReadFill(messages);
        if (_layout.Kind == Hdf5Layout.Chunked)
        {
            if (_layout.ChunkShape.Length != Shape.Count)
            {
                throw ctx.Error(type.Address, $"chunk rank {_layout.ChunkShape.Length} differs from dataset rank {Shape.Count}");
            }

            try
            {
                _chunks = new H5ChunkIndex(ctx, _layout, [.. Shape], DataType.Size, _filters.Length > 0, path, unlimited);
            }
            catch (OverflowException e)
            {
                throw new Hdf5FormatException(ctx.Path, type.Address, $"chunk of {path} is impossibly large", e);
            }
        }
        else
        {
            // Contiguous and compact data must hold every element: checked here, before any read allocates.
            long needed = ElementCount > long.MaxValue / DataType.Size ? long.MaxValue : ElementCount * DataType.Size;
            long present = _layout.Kind == Hdf5Layout.Compact ? _layout.CompactData.Length : _layout.Address < 0 ? needed : _layout.Size;
            if (present < needed)
            {
                throw ctx.Error(space.Address, $"{path} has shape ({string.Join(", ", Shape)}) of {DataType} = {needed} bytes, but its {_layout.Kind} storage holds {present}");
            }

            if (_layout.Kind == Hdf5Layout.Contiguous && _layout.Address >= 0)
            {
                ctx.CheckRange(_layout.Address, needed, $"contiguous data of {path}");
            }
        }
    }

    /// <summary>The file the dataset is in, for messages.</summary>
    internal string FilePath => _ctx.Path;

    /// <summary>The largest positioned read (longer runs are read in pieces, with a cancellation check between them).</summary>
    private const int NativeBlock = 64 << 20;

    /// <summary>The conversion buffer of other element types.</summary>
    private const int ConvertBlock = 1 << 20;

    /// <summary>The absolute path of the dataset.</summary>
    public string Path { get; }

    /// <summary>The current shape in HDF5/C order (h5py's <c>shape</c>; MATLAB reports it reversed). Empty for a scalar.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The number of elements.</summary>
    public long ElementCount { get; }

    /// <summary>The stored element type.</summary>
    internal Hdf5DataType DataType { get; }

    /// <summary>How the data are stored.</summary>
    internal Hdf5Layout Layout => _layout.Kind;

    /// <summary>The chunk shape, or null when not chunked.</summary>
    public IReadOnlyList<long>? ChunkShape => _layout.Kind == Hdf5Layout.Chunked ? _layout.ChunkShape : null;

    /// <summary>The chunk index type (<see cref="Hdf5ChunkIndexType.None"/> when not chunked).</summary>
    internal Hdf5ChunkIndexType ChunkIndexType => _layout.Kind == Hdf5Layout.Chunked ? _layout.IndexType : Hdf5ChunkIndexType.None;

    /// <summary>The filter names applied to chunks, in pipeline order ("deflate", "shuffle", "fletcher32").</summary>
    public IReadOnlyList<string> Filters => _filters.Select(f => f.Id switch { H5Filters.Deflate => "deflate", H5Filters.Shuffle => "shuffle", _ => "fletcher32" }).ToList();

    /// <summary>The dataset's attributes.</summary>
    internal IReadOnlyList<Hdf5Attribute> Attributes => _attributes ??= Hdf5Attribute.ReadAll(_ctx, _messages);

    /// <summary>The attribute named <paramref name="name"/>.</summary>
    /// <exception cref="Hdf5ObjectNotFoundException">No such attribute; the message lists the ones that exist.</exception>
    internal Hdf5Attribute Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name)
        ?? throw new Hdf5ObjectNotFoundException(_ctx.Path, name, $"{_ctx.Path}: {Path} has no attribute '{name}' (has: {string.Join(", ", Attributes.Select(a => a.Name))})");

    /// <summary>Reads the whole dataset, converted to float, into <paramref name="destination"/> (C order).</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> holds fewer than <see cref="ElementCount"/> elements.</exception>
    /// <exception cref="MalformedFileException">The data are corrupt.</exception>
    /// <exception cref="FmriToImageException">The element type is not numeric.</exception>
    /// <param name="destination">At least <see cref="ElementCount"/> elements.</param>
    /// <param name="cancellationToken">Checked between the chunks or rows read.</param>
    public void Read(Span<float> destination, CancellationToken cancellationToken = default)
    {
        var start = new long[Shape.Count];
        ReadHyperslab(start, [.. Shape], null, destination, cancellationToken);
    }

    /// <summary>Reads the whole dataset into a new tensor with the dataset's shape.</summary>
    public Tensor<float> ReadTensor()
    {
        // A chunked dataset may be sparse (chunks never written read as the fill value): the limit, not the file's
        // length, bounds what a whole read allocates.
        ReadLimits.Check($"{_ctx.Path}:{Path}", Shape, ElementCount, "read it in parts with ReadHyperslab");

        var values = new float[ElementCount];
        Read(values);
        return Tensor.Create(values, Shape.Count == 0 ? [1] : Shape.Select(d => (nint)d).ToArray());
    }

    /// <summary>Reads the whole dataset on a worker thread.</summary>
    /// <param name="destination">At least <see cref="ElementCount"/> elements.</param>
    /// <param name="cancellationToken">Checked before the read starts and between the chunks or rows read.</param>
    public Task ReadAsync(Memory<float> destination, CancellationToken cancellationToken = default) =>
        Task.Run(() => Read(destination.Span, cancellationToken), cancellationToken);

    /// <summary>
    /// Reads the hyperslab of <paramref name="count"/>[d] elements starting at <paramref name="start"/>[d], every
    /// <paramref name="stride"/>[d]-th element (null = all 1), converted to float, into <paramref name="destination"/>
    /// in C order over <paramref name="count"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Wrong rank, a selection outside the dataset, or a short destination.</exception>
    /// <exception cref="MalformedFileException">The data are corrupt.</exception>
    /// <exception cref="FmriToImageException">The element type is not numeric.</exception>
    /// <param name="start">The first element per dimension.</param>
    /// <param name="count">The number of elements per dimension.</param>
    /// <param name="stride">The step per dimension, or empty for 1.</param>
    /// <param name="destination">At least the product of <paramref name="count"/> elements.</param>
    /// <param name="cancellationToken">Checked between the chunks or rows read.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public void ReadHyperslab(ReadOnlySpan<long> start, ReadOnlySpan<long> count, ReadOnlySpan<long> stride, Span<float> destination,
        CancellationToken cancellationToken = default)
    {
        int rank = Shape.Count;
        if (!DataType.TryGetElementKind(out ElementKind kind))
        {
            throw new Hdf5TypeNotNumericException(_ctx.Path, Path, DataType.Describe());
        }

        if (start.Length != rank || count.Length != rank || (stride.Length != 0 && stride.Length != rank))
        {
            throw new ArgumentException($"{Path} has rank {rank}; start, count (and stride) must have {rank} entries");
        }

        long total = 1;
        var strides = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            strides[d] = stride.Length == 0 ? 1 : stride[d];
            if (start[d] < 0 || count[d] < 0 || strides[d] < 1 || (count[d] > 0 && (start[d] >= Shape[d] || (count[d] - 1) > (Shape[d] - 1 - start[d]) / strides[d])))
            {
                throw new ArgumentException($"selection start {start[d]}, count {count[d]}, stride {strides[d]} in dimension {d} lies outside {Path}'s extent {Shape[d]}");
            }

            total = ReadLimits.Product(total, count[d]);
        }

        if (total < 0 || destination.Length < total)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats, the selection has {total}", nameof(destination));
        }

        if (total == 0)
        {
            return;
        }

        if (_layout.Kind == Hdf5Layout.Chunked && TryReadWholeChunk(start, count, strides, kind, destination))
        {
            return;
        }

        if (_layout.Kind == Hdf5Layout.Contiguous && rank > 0 && Array.TrueForAll(strides, s => s == 1))
        {
            ReadContiguousRuns(start, count, total, kind, destination, cancellationToken);
            return;
        }

        var plan = new H5Selection(start.ToArray(), count.ToArray(), strides, ChunkGridShape());
        switch (_layout.Kind)
        {
            case Hdf5Layout.Compact:
                if (_layout.CompactData.Length < ElementCount * DataType.Size)
                {
                    throw _ctx.Error(0, $"compact data of {Path} is shorter than its shape");
                }

                foreach (long[] unit in plan.Units())
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    plan.CopyUnit(_layout.CompactData, unit, kind, DataType.IsBigEndian, DataType.Size, destination);
                }

                break;
            case Hdf5Layout.Contiguous:
                ReadContiguous(plan, kind, destination, cancellationToken);
                break;
            default:
                ReadChunked(plan, kind, destination, cancellationToken);
                break;
        }
    }

    /// <summary>Reads a hyperslab on a worker thread (see <see cref="ReadHyperslab"/>); the token is checked between the chunks or rows read.</summary>
    public Task ReadHyperslabAsync(long[] start, long[] count, long[]? stride, Memory<float> destination, CancellationToken cancellationToken = default) =>
        Task.Run(() => ReadHyperslab(start, count, stride ?? [], destination.Span, cancellationToken), cancellationToken);

    /// <summary>The shape of the units data are fetched in: chunks, rows of the last dimension (contiguous) or everything (compact).</summary>
    private long[] ChunkGridShape()
    {
        int rank = Shape.Count;
        if (_layout.Kind == Hdf5Layout.Chunked)
        {
            return _layout.ChunkShape;
        }

        var unit = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            unit[d] = _layout.Kind == Hdf5Layout.Compact || d == rank - 1 ? Math.Max(Shape[d], 1) : 1;
        }

        return unit;
    }

    private void ReadContiguous(H5Selection plan, ElementKind kind, Span<float> destination, CancellationToken cancellationToken)
    {
        if (_layout.Address < 0)
        {
            destination[..(int)plan.Total].Fill(_fill);
            return;
        }

        int rank = Shape.Count;
        long rowElements = rank == 0 ? 1 : Shape[rank - 1];
        long rowBytes = rowElements * DataType.Size;
        byte[] row = ArrayPool<byte>.Shared.Rent((int)Math.Min(rowBytes, int.MaxValue));
        try
        {
            foreach (long[] unit in plan.Units())
            {
                cancellationToken.ThrowIfCancellationRequested();
                long linear = 0;
                for (int d = 0; d < rank - 1; d++)
                {
                    linear = (linear * Shape[d]) + unit[d];
                }

                _ctx.ReadInto(_layout.Address + (linear * rowBytes), row.AsSpan(0, (int)rowBytes), $"contiguous data of {Path}");
                plan.CopyUnit(row, unit, kind, DataType.IsBigEndian, DataType.Size, destination);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(row);
        }
    }

    private void ReadChunked(H5Selection plan, ElementKind kind, Span<float> destination, CancellationToken cancellationToken)
    {
        H5ChunkIndex index = _chunks!;
        int rank = Shape.Count;
        int size = DataType.Size;
        byte[]? raw = null; // rented on first use, grown when a unit needs more: only what is read is allocated
        try
        {
            foreach (long[] unit in plan.Units())
            {
                cancellationToken.ThrowIfCancellationRequested();
                long linear = 0;
                bool partialEdge = false;
                for (int d = 0; d < rank; d++)
                {
                    linear = (linear * index.Grid[d]) + unit[d];
                    partialEdge |= (unit[d] + 1) * _layout.ChunkShape[d] > Shape[d];
                }

                if (!index.TryGet(linear, out H5ChunkRef chunk))
                {
                    plan.FillUnit(unit, _fill, destination);
                    continue;
                }

                if (_filters.Length == 0 || (partialEdge && _layout.UnfilteredPartialEdgeChunks))
                {
                    // An unfiltered chunk is read from its first to its last selected element only.
                    _ctx.CheckRange(chunk.Address, index.ChunkBytes, $"chunk {linear} of {Path}");
                    plan.UnitExtent(unit, out long first, out long last);
                    long bytes = (last - first + 1) * size;
                    ReadLimits.Check($"{_ctx.Path}:{Path}", Shape, last - first + 1, size, "read a smaller hyperslab of this chunk");
                    Rent(ref raw, (int)bytes);
                    _ctx.ReadInto(chunk.Address + (first * size), raw.AsSpan(0, (int)bytes), $"chunk {linear} of {Path}");
                    plan.CopyUnit(raw.AsSpan(0, (int)bytes), unit, kind, DataType.IsBigEndian, size, destination, first);
                    continue;
                }

                if (index.ChunkBytes > Array.MaxLength)
                {
                    throw new Hdf5NotSupportedException(_ctx.Path, $"filtered chunks of {index.ChunkBytes} bytes (more than one array holds) in {Path}",
                        $"h5repack -l {Path}:CONTI in.h5 out.h5");
                }

                byte[] stored = _ctx.Read(chunk.Address, chunk.Size, $"chunk {linear} of {Path}");
                byte[] data = H5Filters.Decode(_ctx, _filters, stored, chunk.FilterMask, size, (int)index.ChunkBytes, chunk.Address);
                plan.CopyUnit(data, unit, kind, DataType.IsBigEndian, size, destination);
            }
        }
        finally
        {
            if (raw is not null)
            {
                ArrayPool<byte>.Shared.Return(raw);
            }
        }
    }

    private static void Rent(ref byte[]? buffer, int length)
    {
        if (buffer is not null && buffer.Length >= length)
        {
            return;
        }

        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = null;
        }

        buffer = ArrayPool<byte>.Shared.Rent(length);
    }

    /// <summary>
    /// Contiguous data, unit strides: the innermost dimensions the selection spans whole, with the one before them,
    /// are one run of consecutive bytes in the file and in the destination; each run is one positioned read (float32
    /// in the machine's byte order straight into the destination, other types through a small buffer and converted).
    /// </summary>
    private void ReadContiguousRuns(ReadOnlySpan<long> start, ReadOnlySpan<long> count, long total, ElementKind kind, Span<float> destination,
        CancellationToken cancellationToken)
    {
        if (_layout.Address < 0)
        {
            destination[..(int)total].Fill(_fill);
            return;
        }

        int rank = Shape.Count;
        var elementStrides = new long[rank];
        long stride = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            elementStrides[d] = stride;
            stride *= Shape[d];
        }

        int j = rank - 1;
        while (j > 0 && start[j] == 0 && count[j] == Shape[j])
        {
            j--;
        }

        long run = count[j] * elementStrides[j];
        var k = new long[j];
        long dest = 0;
        while (true)
        {
            long element = start[j] * elementStrides[j];
            for (int d = 0; d < j; d++)
            {
                element += (start[d] + k[d]) * elementStrides[d];
            }

            ReadRun(element, kind, destination.Slice((int)dest, (int)run), cancellationToken);
            dest += run;
            int dim = j - 1;
            while (dim >= 0 && ++k[dim] == count[dim])
            {
                k[dim] = 0;
                dim--;
            }

            if (dim < 0)
            {
                return;
            }
        }
    }

    private void ReadRun(long element, ElementKind kind, Span<float> destination, CancellationToken cancellationToken)
    {
        int size = DataType.Size;
        long at = _layout.Address + (element * size);
        string what = $"contiguous data of {Path}";
        if (kind == ElementKind.Float32 && DataType.IsBigEndian != BitConverter.IsLittleEndian)
        {
            Span<byte> bytes = MemoryMarshal.AsBytes(destination);
            _ctx.CheckRange(at, bytes.Length, what);
            for (int done = 0; done < bytes.Length; done += NativeBlock)
            {
                cancellationToken.ThrowIfCancellationRequested();
                _ctx.ReadInto(at + done, bytes.Slice(done, Math.Min(NativeBlock, bytes.Length - done)), what);
            }

            return;
        }

        int perBlock = ConvertBlock / size;
        byte[] buffer = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)destination.Length * size, ConvertBlock));
        try
        {
            for (int done = 0; done < destination.Length; done += perBlock)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int n = Math.Min(perBlock, destination.Length - done);
                Span<byte> block = buffer.AsSpan(0, n * size);
                _ctx.ReadInto(at + ((long)done * size), block, what);
                ElementConverter.ToSingle(block, kind, DataType.IsBigEndian, destination.Slice(done, n));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Fast path for a selection that is exactly one whole chunk (e.g. an NSD voxel series, chunk (750,1,1,1)): the
    /// chunk converts straight into the destination without a selection plan.
    /// </summary>
    private bool TryReadWholeChunk(ReadOnlySpan<long> start, ReadOnlySpan<long> count, long[] strides, ElementKind kind, Span<float> destination)
    {
        H5ChunkIndex index = _chunks!;
        long linear = 0;
        for (int d = 0; d < start.Length; d++)
        {
            long c = _layout.ChunkShape[d];
            if (strides[d] != 1 || count[d] != c || start[d] % c != 0)
            {
                return false;
            }

            linear = (linear * index.Grid[d]) + (start[d] / c);
        }

        if (index.ChunkBytes > Array.MaxLength)
        {
            return false;
        }

        int elements = (int)(index.ChunkBytes / DataType.Size);
        if (!index.TryGet(linear, out H5ChunkRef chunk))
        {
            destination[..elements].Fill(_fill);
            return true;
        }

        if (_filters.Length > 0)
        {
            byte[] stored = _ctx.Read(chunk.Address, chunk.Size, $"chunk {linear} of {Path}");
            byte[] data = H5Filters.Decode(_ctx, _filters, stored, chunk.FilterMask, DataType.Size, (int)index.ChunkBytes, chunk.Address);
            ElementConverter.ToSingle(data, kind, DataType.IsBigEndian, destination);
            return true;
        }

        int bytes = (int)index.ChunkBytes;
        byte[]? rented = bytes > 4096 ? ArrayPool<byte>.Shared.Rent(bytes) : null;
        try
        {
            Span<byte> raw = rented is null ? stackalloc byte[4096] : rented;
            raw = raw[..bytes];
            _ctx.ReadInto(chunk.Address, raw, Path);
            ElementConverter.ToSingle(raw, kind, DataType.IsBigEndian, destination);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }

        return true;
    }

    private H5Message Find(int type, string what) => _messages.FirstOrDefault(m => m.Type == type)
        ?? throw new Hdf5FormatException(_ctx.Path, 0, $"{Path} has no {what} message (neither a dataset nor a group)");

    private float ReadFill(List<H5Message> messages)
    {
        H5Message? m = messages.FirstOrDefault(x => x.Type == H5ObjectHeader.FillValue);
        if (m is null || !DataType.TryGetElementKind(out ElementKind kind))
        {
            return 0;
        }

        var c = _ctx.Cursor(m.Data, m.Address);
        int version = c.U8();
        bool defined;
        if (version is 1 or 2)
        {
            c.Skip(2);
            defined = c.U8() != 0;
        }
        else if (version == 3)
        {
            byte flags = c.U8();
            defined = (flags & 0x20) != 0;
        }
        else
        {
            return 0;
        }

        if (!defined || c.Remaining < 4)
        {
            return 0;
        }

        uint size = c.U32();
        if (size != DataType.Size || c.Remaining < size)
        {
            return 0;
        }

        Span<float> value = stackalloc float[1];
        ElementConverter.ToSingle(c.Take((int)size), kind, DataType.IsBigEndian, value);
        return value[0];
    }
}
