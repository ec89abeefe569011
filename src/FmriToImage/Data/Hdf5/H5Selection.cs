namespace FmriToImage.Data.Hdf5;

/// <summary>
/// A hyperslab selection split by storage unit (chunk, contiguous row or compact block): enumerates the units the
/// selection touches, each once, and copies the selected elements of a unit to their places in the C-ordered
/// destination, converting to float in runs along the innermost dimension that has more than one element.
/// </summary>
internal sealed class H5Selection
{
    private readonly long[] _start, _count, _stride, _unit, _unitStrides, _destStrides;
    private readonly (long Unit, long FirstK, long CountK)[][] _perDim;
    private readonly int[] _position;

    public H5Selection(long[] start, long[] count, long[] stride, long[] unitShape)
    {
        int rank = start.Length;
        _start = start;
        _count = count;
        _stride = stride;
        _unit = unitShape;
        _unitStrides = new long[rank];
        _destStrides = new long[rank];
        _position = new int[rank];
        long u = 1, t = 1;
        Total = 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            _unitStrides[d] = u;
            _destStrides[d] = t;
            u *= unitShape[d];
            t *= count[d];
        }

        Total = t;
        _perDim = new (long, long, long)[rank][];
        for (int d = 0; d < rank; d++)
        {
            var list = new List<(long, long, long)>();
            long current = -1, first = 0;
            for (long k = 0; k < count[d]; k++)
            {
                long unit = (start[d] + (k * stride[d])) / unitShape[d];
                if (unit != current)
                {
                    if (current >= 0)
                    {
                        list.Add((current, first, k - first));
                    }

                    current = unit;
                    first = k;
                }
            }

            list.Add((current, first, count[d] - first));
            _perDim[d] = [.. list];
        }
    }

    public long Total { get; }

    /// <summary>Yields the coordinates of each touched unit once (the same array, updated in place).</summary>
    public IEnumerable<long[]> Units()
    {
        int rank = _start.Length;
        var unit = new long[rank];
        Array.Clear(_position);
        while (true)
        {
            for (int d = 0; d < rank; d++)
            {
                unit[d] = _perDim[d][_position[d]].Unit;
            }

            yield return unit;
            int dim = rank - 1;
            while (dim >= 0 && ++_position[dim] == _perDim[dim].Length)
            {
                _position[dim] = 0;
                dim--;
            }

            if (dim < 0)
            {
                yield break;
            }
        }
    }

    /// <summary>
    /// Copies the selected elements of the current unit to the destination; <paramref name="data"/> holds the unit's
    /// elements from <paramref name="firstElement"/> on (0: the whole unit; see <see cref="UnitExtent"/>).
    /// </summary>
    public void CopyUnit(ReadOnlySpan<byte> data, long[] unit, ElementKind kind, bool bigEndian, int size, Span<float> destination, long firstElement = 0) =>
        Visit(unit, data, kind, bigEndian, size, 0, fill: false, destination, firstElement);

    /// <summary>Writes <paramref name="value"/> where the current (unallocated) unit's selected elements go.</summary>
    public void FillUnit(long[] unit, float value, Span<float> destination) =>
        Visit(unit, default, ElementKind.Float32, false, 4, value, fill: true, destination, 0);

    /// <summary>
    /// The first and last element (row-major offsets within the current unit) the selection touches in it: reading
    /// the bytes between them is enough to copy the unit's part (one row of a tall chunk reads one row, not the chunk).
    /// </summary>
    public void UnitExtent(long[] unit, out long first, out long last)
    {
        first = 0;
        last = 0;
        for (int d = 0; d < _start.Length; d++)
        {
            var (_, firstK, countK) = _perDim[d][_position[d]];
            long origin = unit[d] * _unit[d];
            first += (_start[d] + (firstK * _stride[d]) - origin) * _unitStrides[d];
            last += (_start[d] + ((firstK + countK - 1) * _stride[d]) - origin) * _unitStrides[d];
        }
    }

    private void Visit(long[] unit, ReadOnlySpan<byte> data, ElementKind kind, bool bigEndian, int size, float fillValue, bool fill, Span<float> destination,
        long firstElement)
    {
        int rank = _start.Length;
        if (rank == 0)
        {
            if (fill)
            {
                destination[0] = fillValue;
            }
            else
            {
                ElementConverter.ToSingle(data[..size], kind, bigEndian, destination[..1]);
            }

            return;
        }

        int inner = rank - 1;
        for (int d = rank - 1; d >= 0; d--)
        {
            if (_perDim[d][_position[d]].CountK > 1)
            {
                inner = d;
                break;
            }
        }

        var k = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            k[d] = _perDim[d][_position[d]].FirstK;
        }

        long runLength = _perDim[inner][_position[inner]].CountK;
        long sourceStep = _stride[inner] * _unitStrides[inner];
        long destStep = _destStrides[inner];
        long unitElements = data.Length / Math.Max(size, 1);
        while (true)
        {
            long source = 0, dest = 0;
            for (int d = 0; d < rank; d++)
            {
                long within = _start[d] + (k[d] * _stride[d]) - (unit[d] * _unit[d]);
                source += within * _unitStrides[d];
                dest += k[d] * _destStrides[d];
            }

            source -= firstElement;

            if (fill)
            {
                for (long i = 0; i < runLength; i++)
                {
                    destination[(int)(dest + (i * destStep))] = fillValue;
                }
            }
            else
            {
                if (source < 0 || source + ((runLength - 1) * sourceStep) >= unitElements)
                {
                    throw new ArgumentOutOfRangeException(nameof(data), "selection exceeds the bytes read of its storage unit"); // a reader bug, never the file's
                }

                ConvertRun(data, source, sourceStep, runLength, kind, bigEndian, size, destination, dest, destStep);
            }

            // Advance every dimension except the inner one (its elements are the run).
            int dim = rank - 1;
            while (dim >= 0)
            {
                if (dim != inner)
                {
                    var (_, first, count) = _perDim[dim][_position[dim]];
                    if (++k[dim] < first + count)
                    {
                        break;
                    }

                    k[dim] = first;
                }

                dim--;
            }

            if (dim < 0)
            {
                return;
            }
        }
    }

    private static void ConvertRun(ReadOnlySpan<byte> data, long source, long sourceStep, long n, ElementKind kind, bool bigEndian, int size,
        Span<float> destination, long dest, long destStep)
    {
        if (sourceStep == 1 && destStep == 1)
        {
            ElementConverter.ToSingle(data.Slice((int)(source * size), (int)(n * size)), kind, bigEndian, destination.Slice((int)dest, (int)n));
            return;
        }

        Span<byte> gathered = stackalloc byte[2048];
        Span<float> converted = stackalloc float[256];
        for (long done = 0; done < n;)
        {
            int block = (int)Math.Min(256, n - done);
            for (int i = 0; i < block; i++)
            {
                data.Slice((int)((source + ((done + i) * sourceStep)) * size), size).CopyTo(gathered.Slice(i * size, size));
            }

            ElementConverter.ToSingle(gathered[..(block * size)], kind, bigEndian, converted[..block]);
            for (int i = 0; i < block; i++)
            {
                destination[(int)(dest + ((done + i) * destStep))] = converted[i];
            }

            done += block;
        }
    }
}
