using System.Buffers;
using System.IO.Compression;
using System.Numerics.Tensors;

namespace FmriToImage.Data.Nifti;

/// <summary>
/// Reads a NIfTI-1 or NIfTI-2 single file (<c>.nii</c>, or gzip-compressed <c>.nii.gz</c>, recognised by content)
/// volume by volume, converting every supported datatype to <see cref="float"/> and applying
/// <c>scl_slope</c>/<c>scl_inter</c> when the slope is non-zero.
/// </summary>
/// <remarks>
/// <para>Voxel order: a volume is returned in NIfTI on-disk order, x fastest — element <c>x + X·(y + Y·z)</c>. A whole
/// image (<see cref="ReadAll"/>) is a tensor of shape <c>[T, Z, Y, X]</c> (or <c>[Z, Y, X]</c>) in C order, which is the
/// same flat order and matches the h5py shape of NSD's HDF5 betas.</para>
/// <para>Only one volume is held in memory at a time. For <c>.nii.gz</c> reading volumes in increasing order streams
/// through the file once; going backwards restarts decompression. Sizes in the header are checked against the file
/// length when the reader opens (for gzip, against the largest size deflate can expand to), so a corrupt header
/// cannot trigger a huge allocation. An instance is not thread-safe; open one reader per thread.</para>
/// </remarks>
public sealed class NiftiReader : IDisposable
{
    /// <summary>Deflate cannot expand data by more than about 1032:1, which bounds what a .nii.gz can hold.</summary>
    private const long MaxDeflateRatio = 1032;
    private const int BlockBytes = 1 << 18;

    private readonly FileStream _file;
    private Stream _data;
    private long _position;

    private NiftiReader(string path, FileStream file, Stream data, bool compressed, NiftiHeader header, long position)
    {
        FilePath = path;
        _file = file;
        _data = data;
        IsCompressed = compressed;
        Header = header;
        _position = position;
    }

    /// <summary>The file being read.</summary>
    public string FilePath { get; }

    /// <summary>The parsed header.</summary>
    public NiftiHeader Header { get; }

    /// <summary>True for a gzip-compressed file.</summary>
    public bool IsCompressed { get; }

    /// <summary>Opens <paramref name="path"/> and reads its header.</summary>
    /// <exception cref="MalformedFileException">The header is malformed or the data cannot fit the file.</exception>
    /// <exception cref="IOException">The file cannot be opened.</exception>
    public static NiftiReader Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        try
        {
            Span<byte> magic = stackalloc byte[2];
            bool compressed = file.Read(magic) == 2 && magic[0] == 0x1F && magic[1] == 0x8B;
            file.Position = 0;
            Stream data = compressed ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
            var headerBytes = new byte[540];
            int got = ReadFully(data, headerBytes, path, 0);
            NiftiHeader header = NiftiHeader.Parse(headerBytes.AsSpan(0, got), path);
            long needed = header.VoxelOffset + (header.VoxelsPerVolume * header.VolumeCount * header.BytesPerVoxel);
            long capacity = compressed ? file.Length * MaxDeflateRatio : file.Length;
            if (header.VoxelsPerVolume * header.VolumeCount > long.MaxValue / 8 || needed > capacity)
            {
                throw new NiftiFormatException(path, header.Version == 1 ? 40 : 16,
                    $"dimensions ({string.Join(", ", header.Dimensions)}) of {header.DataType} need {needed} bytes but the file {(compressed ? $"can hold at most {capacity} bytes ({file.Length} compressed)" : $"is {file.Length} bytes long")}");
            }

            if (header.VoxelsPerVolume > Array.MaxLength)
            {
                throw new NiftiFormatException(path, 40, $"a volume of {header.VoxelsPerVolume} voxels exceeds the largest array");
            }

            return new NiftiReader(path, file, data, compressed, header, got);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Reads one 3-D volume, x fastest, converted to float with scaling applied.</summary>
    /// <param name="index">The volume (0-based; the flat index over dimensions 4 and up).</param>
    /// <param name="destination">At least <see cref="NiftiHeader.VoxelsPerVolume"/> elements.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not a volume of the file.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is too short.</exception>
    /// <exception cref="MalformedFileException">The file is truncated or its compressed data are corrupt.</exception>
    public void ReadVolume(long index, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Header.VolumeCount);
        long voxels = Header.VoxelsPerVolume;
        if (destination.Length < voxels)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats; a volume has {voxels}", nameof(destination));
        }

        int size = Header.BytesPerVoxel;
        long start = Header.VoxelOffset + (index * voxels * size);
        SeekTo(start);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(BlockBytes);
        try
        {
            int perBlock = BlockBytes / size;
            for (long done = 0; done < voxels;)
            {
                int n = (int)Math.Min(perBlock, voxels - done);
                Span<byte> block = buffer.AsSpan(0, n * size);
                ReadExactly(block);
                ElementConverter.ToSingle(block, Header.ElementKind, Header.IsBigEndian, destination.Slice((int)done, n));
                done += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (IsCompressed && index == Header.VolumeCount - 1)
        {
            DrainToVerifyChecksum();
        }

        if (Header.HasScaling)
        {
            Span<float> d = destination[..(int)voxels];
            TensorPrimitives.Multiply(d, (float)Header.ScaleSlope, d);
            TensorPrimitives.Add(d, (float)Header.ScaleIntercept, d);
        }
    }

    /// <summary>Reads one volume on a worker thread (see <see cref="ReadVolume"/>).</summary>
    /// <param name="index">The volume (0-based).</param>
    /// <param name="destination">At least <see cref="NiftiHeader.VoxelsPerVolume"/> elements.</param>
    /// <param name="cancellationToken">Cancels before the read starts.</param>
    public Task ReadVolumeAsync(long index, Memory<float> destination, CancellationToken cancellationToken = default) =>
        Task.Run(() => ReadVolume(index, destination.Span), cancellationToken);

    /// <summary>Reads the whole image into a tensor of shape <c>[T, Z, Y, X]</c> (reversed NIfTI dimensions) in C order.</summary>
    /// <exception cref="MalformedFileException">The file is truncated or its compressed data are corrupt.</exception>
    /// <exception cref="DataSizeLimitException">The image holds more than <see cref="ReadLimits.MaxValues"/> voxels.</exception>
    public Tensor<float> ReadAll() => ReadAllCore(null, CancellationToken.None);

    /// <summary>Reads the whole image on a worker thread, reporting the number of volumes read so far.</summary>
    /// <param name="progress">Receives the count of volumes read; may be null.</param>
    /// <param name="cancellationToken">Checked between volumes.</param>
    public Task<Tensor<float>> ReadAllAsync(IProgress<long>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => ReadAllCore(progress, cancellationToken), cancellationToken);

    /// <inheritdoc />
    public void Dispose()
    {
        if (!ReferenceEquals(_data, _file))
        {
            _data.Dispose();
        }

        _file.Dispose();
    }

    private Tensor<float> ReadAllCore(IProgress<long>? progress, CancellationToken cancellationToken)
    {
        long voxels = Header.VoxelsPerVolume, volumes = Header.VolumeCount;
        ReadLimits.Check(FilePath, Header.Dimensions, ReadLimits.Product(voxels, volumes), "read it volume by volume with ReadVolume");

        var values = new float[voxels * volumes];
        for (long t = 0; t < volumes; t++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ReadVolume(t, values.AsSpan((int)(t * voxels), (int)voxels));
            progress?.Report(t + 1);
        }

        var lengths = Header.Dimensions.Reverse().Select(d => (nint)d).ToArray();
        return Tensor.Create(values, lengths);
    }

    private void SeekTo(long offset)
    {
        if (!IsCompressed)
        {
            _file.Position = offset;
            _position = offset;
            return;
        }

        if (offset < _position)
        {
            _data.Dispose();
            _file.Position = 0;
            _data = new GZipStream(_file, CompressionMode.Decompress, leaveOpen: true);
            _position = 0;
        }

        byte[] scratch = ArrayPool<byte>.Shared.Rent(BlockBytes);
        try
        {
            while (_position < offset)
            {
                ReadExactly(scratch.AsSpan(0, (int)Math.Min(BlockBytes, offset - _position)));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>Reads past the last voxel to the gzip trailer, so that a CRC mismatch is reported.</summary>
    private void DrainToVerifyChecksum()
    {
        byte[] scratch = ArrayPool<byte>.Shared.Rent(BlockBytes);
        try
        {
            int got;
            while ((got = ReadFully(_data, scratch.AsSpan(0, BlockBytes), FilePath, _position)) > 0)
            {
                _position += got;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private void ReadExactly(Span<byte> buffer)
    {
        int got = ReadFully(_data, buffer, FilePath, _position);
        if (got < buffer.Length)
        {
            throw new NiftiFormatException(FilePath, _position + got, $"file ends early: {buffer.Length - got} more bytes of voxel data expected");
        }

        _position += got;
    }

    private static int ReadFully(Stream stream, Span<byte> buffer, string path, long position)
    {
        try
        {
            return stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        }
        catch (InvalidDataException e)
        {
            throw new NiftiFormatException(path, position, "corrupt gzip/deflate data: " + e.Message, e);
        }
    }
}
