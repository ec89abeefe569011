using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace FmriToImage.Data.Nifti;

/// <summary>
/// Writes a float32 NIfTI-1 volume (X×Y×Z, or X×Y×Z×T) in the grid of a reference header — the subject's grid — so that
/// nibabel and viewers place it over the subject's data: grid, voxel sizes, qform and sform (codes, quaternion, rows)
/// and units are copied from the reference; scl_slope is 1 and scl_inter 0; little-endian; a single <c>.nii</c> or
/// gzip-compressed <c>.nii.gz</c> file chosen by the path's extension.
/// </summary>
internal static class NiftiWriter
{
    /// <summary>The NIfTI-1 header size, the 4 extension bytes, and so the voxel data's offset.</summary>
    private const int HeaderBytes = 348;
    private const int DataOffset = 352;

    /// <summary>The longest description the 80-byte descrip field holds with its terminating NUL.</summary>
    internal const int MaxDescriptionLength = 79;

    /// <summary>
    /// Writes <paramref name="values"/> (NIfTI order: x fastest, then y, z, t — the order <see cref="NiftiReader.ReadVolume"/>
    /// fills) as <paramref name="volumes"/> volumes in <paramref name="reference"/>'s grid to <paramref name="path"/>
    /// (<c>.nii.gz</c>: compressed, <c>.nii</c>: not). The file is written beside the target and moved into place, so a
    /// failed write leaves no partial file.
    /// </summary>
    /// <exception cref="ArgumentException">The path's extension is neither, the value count is not the grid's voxel count
    /// times <paramref name="volumes"/>, or the description is longer than 79 characters or not Latin-1 printable.</exception>
    public static void Write(string path, NiftiHeader reference, ReadOnlyMemory<float> values, int volumes = 1, string description = "")
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentOutOfRangeException.ThrowIfLessThan(volumes, 1);
        long expected = reference.VoxelsPerVolume * volumes;
        if (values.Length != expected)
        {
            throw new ArgumentException(
                $"{values.Length} values given; the grid {reference.Grid.X}×{reference.Grid.Y}×{reference.Grid.Z} × {volumes} volume(s) of '{path}' needs {expected}",
                nameof(values));
        }

        int perVolume = (int)reference.VoxelsPerVolume;
        WriteVolumes(path, reference, volumes, t => values.Slice(t * perVolume, perVolume), description);
    }

    /// <summary>
    /// Writes <paramref name="volumes"/> volumes asked one at a time from <paramref name="volume"/> (called with 0, 1, …
    /// in order; each the grid's voxel count, x fastest), so a 4-D file larger than any array — thousands of trials on an
    /// NSD-size grid — is written with one volume in memory. Otherwise as <see cref="Write"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The path's extension is neither, a volume's length is not the grid's voxel count
    /// (the partial file is removed), the volume count exceeds NIfTI-1's 32,767, or the description does not fit.</exception>
    public static void WriteVolumes(string path, NiftiHeader reference, int volumes, Func<int, ReadOnlyMemory<float>> volume, string description = "")
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(volume);
        ArgumentNullException.ThrowIfNull(description);
        ArgumentOutOfRangeException.ThrowIfLessThan(volumes, 1);
        bool compressed = path.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase);
        if (!compressed && !path.EndsWith(".nii", StringComparison.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"'{path}' must end in .nii.gz or .nii", nameof(path));
        }

        CheckDescription(description);
        byte[] header = EncodeHeader(reference, volumes, description);
        long perVolume = reference.VoxelsPerVolume;
        string temporary = path + ".partial";
        try
        {
            using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            using (Stream target = compressed ? new GZipStream(file, CompressionLevel.Optimal, leaveOpen: true) : file)
            {
                target.Write(header);
                for (int t = 0; t < volumes; t++)
                {
                    ReadOnlyMemory<float> values = volume(t);
                    if (values.Length != perVolume)
                    {
                        throw new ArgumentException(
                            $"volume {t} of '{path}' has {values.Length} values; the grid {reference.Grid.X}×{reference.Grid.Y}×{reference.Grid.Z} needs {perVolume}",
                            nameof(volume));
                    }

                    WriteValues(target, values.Span);
                }
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>The 352 bytes before the data: the NIfTI-1 header and an empty extension flag.</summary>
    internal static byte[] EncodeHeader(NiftiHeader reference, int volumes, string description)
    {
        var b = new byte[DataOffset];
        Span<byte> s = b;
        BinaryPrimitives.WriteInt32LittleEndian(s, HeaderBytes);
        b[38] = (byte)'r';
        (int x, int y, int z) = reference.Grid;
        short[] dim = [(short)(volumes > 1 ? 4 : 3), Short(x, "X"), Short(y, "Y"), Short(z, "Z"), Short(volumes, "T"), 1, 1, 1];
        for (int i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(s[(40 + (2 * i))..], dim[i]);
        }

        BinaryPrimitives.WriteInt16LittleEndian(s[70..], (short)NiftiDataType.Float32);
        BinaryPrimitives.WriteInt16LittleEndian(s[72..], 32);
        IReadOnlyList<double> pixdim = reference.PixelDimensions;
        for (int i = 0; i < 8; i++)
        {
            // pixdim[0] is qfac (±1); pixdim[4] the repetition time, kept only for a 4-D file; the rest unused.
            double value = i switch
            {
                0 => pixdim[0] < 0 ? -1 : 1,
                <= 3 => pixdim[i],
                4 when volumes > 1 => pixdim[4],
                _ => 0,
            };
            BinaryPrimitives.WriteSingleLittleEndian(s[(76 + (4 * i))..], (float)value);
        }

        BinaryPrimitives.WriteSingleLittleEndian(s[108..], DataOffset);
        BinaryPrimitives.WriteSingleLittleEndian(s[112..], 1f);
        BinaryPrimitives.WriteSingleLittleEndian(s[116..], 0f);
        b[123] = (byte)reference.XyztUnits;
        Encoding.Latin1.GetBytes(description, s.Slice(148, 80));
        BinaryPrimitives.WriteInt16LittleEndian(s[252..], (short)reference.QformCode);
        BinaryPrimitives.WriteInt16LittleEndian(s[254..], (short)reference.SformCode);
        for (int i = 0; i < 3; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(s[(256 + (4 * i))..], (float)reference.Quaternion[i]);
            BinaryPrimitives.WriteSingleLittleEndian(s[(268 + (4 * i))..], (float)reference.QuaternionOffset[i]);
        }

        for (int i = 0; i < 12; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(s[(280 + (4 * i))..], (float)reference.SformRows[i]);
        }

        "n+1\0"u8.CopyTo(s[344..]);
        return b;
    }

    private static void WriteValues(Stream target, ReadOnlySpan<float> values)
    {
        const int Chunk = 1 << 14;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Chunk * sizeof(float));
        try
        {
            for (int done = 0; done < values.Length; done += Chunk)
            {
                ReadOnlySpan<float> part = values.Slice(done, Math.Min(Chunk, values.Length - done));
                Span<byte> bytes = buffer.AsSpan(0, part.Length * sizeof(float));
                for (int i = 0; i < part.Length; i++)
                {
                    BinaryPrimitives.WriteSingleLittleEndian(bytes[(i * sizeof(float))..], part[i]);
                }

                target.Write(bytes);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static void CheckDescription(string description)
    {
        if (description.Length > MaxDescriptionLength)
        {
            throw new ArgumentException($"the description has {description.Length} characters; NIfTI-1's descrip holds at most {MaxDescriptionLength}", nameof(description));
        }

        foreach (char c in description)
        {
            if (c is < ' ' or > 'ÿ' or (> '~' and < '\u00a0'))
            {
                throw new ArgumentException($"the description holds U+{(int)c:X4}; only printable Latin-1 characters fit NIfTI-1's descrip", nameof(description));
            }
        }
    }

    private static short Short(int value, string axis) => value <= short.MaxValue
        ? (short)value
        : throw new ArgumentException($"the {axis} extent {value} exceeds NIfTI-1's limit of {short.MaxValue}; a NIfTI-1 file cannot hold it");
}
