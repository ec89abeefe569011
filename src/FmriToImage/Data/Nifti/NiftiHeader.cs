using System.Buffers.Binary;
using System.Text;

namespace FmriToImage.Data.Nifti;

/// <summary>
/// The parsed header of a NIfTI-1 or NIfTI-2 single file (<c>.nii</c> / <c>.nii.gz</c>), with the fields a reader
/// needs: dimensions, datatype, data offset, intensity scaling and the sform/qform affines.
/// </summary>
/// <remarks>Immutable and thread-safe. Voxel data are stored x fastest: linear index = x + X·(y + Y·(z + Z·t)).</remarks>
public sealed class NiftiHeader
{
    private NiftiHeader()
    {
    }

    /// <summary>1 for NIfTI-1 (348-byte header), 2 for NIfTI-2 (540-byte header).</summary>
    public int Version { get; private init; }

    /// <summary>True when the header and voxels are stored big-endian.</summary>
    public bool IsBigEndian { get; private init; }

    /// <summary>The sizes of the used dimensions, <c>dim[1..dim[0]]</c> (x, y, z, t, …).</summary>
    public IReadOnlyList<long> Dimensions { get; private init; } = [];

    /// <summary>The voxel datatype.</summary>
    internal NiftiDataType DataType { get; private init; }

    /// <summary>Bytes per stored voxel.</summary>
    public int BytesPerVoxel => ElementConverter.SizeOf(ElementKindOf(DataType));

    /// <summary><c>pixdim[0..7]</c>: pixdim[0] is qfac, pixdim[1..3] the voxel size (usually mm), pixdim[4] the TR.</summary>
    public IReadOnlyList<double> PixelDimensions { get; private init; } = [];

    /// <summary>Byte offset of the first voxel in the (decompressed) file.</summary>
    public long VoxelOffset { get; private init; }

    /// <summary><c>scl_slope</c>; when it is non-zero and finite, values are <c>slope·stored + inter</c>.</summary>
    public double ScaleSlope { get; private init; }

    /// <summary><c>scl_inter</c>.</summary>
    public double ScaleIntercept { get; private init; }

    /// <summary>True when <see cref="ScaleSlope"/> is non-zero and finite, so scaling is applied on read.</summary>
    public bool HasScaling => ScaleSlope != 0 && double.IsFinite(ScaleSlope) && double.IsFinite(ScaleIntercept) && !(ScaleSlope == 1 && ScaleIntercept == 0);

    /// <summary><c>qform_code</c> (0 unknown, 1 scanner, 2 aligned, 3 Talairach, 4 MNI-152, 5 other template).</summary>
    public int QformCode { get; private init; }

    /// <summary><c>sform_code</c> (same codes as <see cref="QformCode"/>).</summary>
    public int SformCode { get; private init; }

    /// <summary>The sform affine (voxel → world, row-major 4×4), or null when <see cref="SformCode"/> is 0.</summary>
    public double[]? SformAffine { get; private init; }

    /// <summary>The qform affine built from the quaternion, offsets, pixdim and qfac, or null when <see cref="QformCode"/> is 0.</summary>
    public double[]? QformAffine { get; private init; }

    /// <summary>
    /// The best voxel → world affine (row-major 4×4): the sform when <see cref="SformCode"/> &gt; 0, else the qform
    /// when <see cref="QformCode"/> &gt; 0, else a diagonal of the voxel sizes (NIfTI "method 1").
    /// </summary>
    public double[] Affine => SformAffine ?? QformAffine ??
        [PixelDimensions[1], 0, 0, 0, 0, PixelDimensions[2], 0, 0, 0, 0, PixelDimensions[3], 0, 0, 0, 0, 1];

    /// <summary><c>xyzt_units</c> (spatial units in bits 0–2, temporal in bits 3–5).</summary>
    public int XyztUnits { get; private init; }

    /// <summary>The <c>descrip</c> text.</summary>
    public string Description { get; private init; } = "";

    /// <summary>Voxels in one 3-D volume: X·Y·Z (missing dimensions count as 1).</summary>
    public long VoxelsPerVolume => Dim(0) * Dim(1) * Dim(2);

    /// <summary>The grid of one volume, (X, Y, Z) (missing dimensions count as 1).</summary>
    public (int X, int Y, int Z) Grid => (checked((int)Dim(0)), checked((int)Dim(1)), checked((int)Dim(2)));

    /// <summary>The number of 3-D volumes: the product of dimensions 4 and up (1 for a 3-D image).</summary>
    public long VolumeCount
    {
        get
        {
            long n = 1;
            for (int i = 3; i < Dimensions.Count; i++)
            {
                n *= Dimensions[i];
            }

            return n;
        }
    }

    internal ElementKind ElementKind => ElementKindOf(DataType);

    /// <summary>The stored quaternion parameters (quatern_b, quatern_c, quatern_d), as read; what a writer copies.</summary>
    internal IReadOnlyList<double> Quaternion { get; private init; } = [0, 0, 0];

    /// <summary>The stored qform offsets (qoffset_x, qoffset_y, qoffset_z), as read.</summary>
    internal IReadOnlyList<double> QuaternionOffset { get; private init; } = [0, 0, 0];

    /// <summary>The stored srow_x, srow_y, srow_z (12 values, row-major), as read, whatever sform_code says.</summary>
    internal IReadOnlyList<double> SformRows { get; private init; } = new double[12];

    private long Dim(int i) => i < Dimensions.Count ? Dimensions[i] : 1;

    /// <summary>Parses a header from the first bytes of a (decompressed) NIfTI file.</summary>
    /// <param name="bytes">At least 348 bytes (NIfTI-1) or 540 bytes (NIfTI-2).</param>
    /// <param name="file">The file name used in error messages.</param>
    /// <exception cref="NiftiFormatException">The header is malformed or unsupported.</exception>
    internal static NiftiHeader Parse(ReadOnlySpan<byte> bytes, string file)
    {
        if (bytes.Length < 348)
        {
            throw new NiftiFormatException(file, bytes.Length, $"file holds {bytes.Length} bytes, shorter than a 348-byte NIfTI-1 header");
        }

        int le = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        int be = BinaryPrimitives.ReadInt32BigEndian(bytes);
        int version;
        bool big;
        if (le == 348 || be == 348)
        {
            version = 1;
            big = be == 348;
        }
        else if (le == 540 || be == 540)
        {
            version = 2;
            big = be == 540;
        }
        else
        {
            throw new NiftiFormatException(file, 0, $"sizeof_hdr is {le} (little-endian) / {be} (big-endian); expected 348 (NIfTI-1) or 540 (NIfTI-2)");
        }

        return version == 1 ? ParseNifti1(bytes, file, big) : ParseNifti2(bytes, file, big);
    }

    private static NiftiHeader ParseNifti1(ReadOnlySpan<byte> b, string file, bool big)
    {
        var r = new FieldReader(b, big);
        ReadOnlySpan<byte> magic = b.Slice(344, 4);
        if (!magic.SequenceEqual("n+1\0"u8))
        {
            string hint = magic.SequenceEqual("ni1\0"u8) ? " (a .hdr/.img pair, not supported: convert to a single .nii)" : "";
            throw new NiftiFormatException(file, 344, $"magic is '{Printable(magic)}', expected 'n+1'{hint}");
        }

        var dims = new long[8];
        for (int i = 0; i < 8; i++)
        {
            dims[i] = r.I16(40 + (2 * i));
        }

        var pixdim = new double[8];
        for (int i = 0; i < 8; i++)
        {
            pixdim[i] = r.F32(76 + (4 * i));
        }

        double[] srow = new double[12];
        for (int i = 0; i < 12; i++)
        {
            srow[i] = r.F32(280 + (4 * i));
        }

        return Build(file, 1, big, dims, 40, r.I16(70), 70, r.I16(72), pixdim, r.F32(108), 108, r.F32(112), r.F32(116),
            r.I16(252), r.I16(254), [r.F32(256), r.F32(260), r.F32(264)], [r.F32(268), r.F32(272), r.F32(276)], srow,
            b[123], Text(b.Slice(148, 80)));
    }

    private static NiftiHeader ParseNifti2(ReadOnlySpan<byte> b, string file, bool big)
    {
        if (b.Length < 540)
        {
            throw new NiftiFormatException(file, b.Length, $"file holds {b.Length} bytes, shorter than a 540-byte NIfTI-2 header");
        }

        var r = new FieldReader(b, big);
        ReadOnlySpan<byte> magic = b.Slice(4, 8);
        if (!magic[..3].SequenceEqual("n+2"u8) || !magic[3..].SequenceEqual("\0\r\n\u001a\n"u8))
        {
            throw new NiftiFormatException(file, 4, $"magic is '{Printable(magic)}', expected 'n+2\\0\\r\\n\\x1a\\n'");
        }

        var dims = new long[8];
        for (int i = 0; i < 8; i++)
        {
            dims[i] = r.I64(16 + (8 * i));
        }

        var pixdim = new double[8];
        for (int i = 0; i < 8; i++)
        {
            pixdim[i] = r.F64(104 + (8 * i));
        }

        double[] srow = new double[12];
        for (int i = 0; i < 12; i++)
        {
            srow[i] = r.F64(400 + (8 * i));
        }

        long voxOffset = r.I64(168);
        return Build(file, 2, big, dims, 16, r.I16(12), 12, r.I16(14), pixdim, voxOffset, 168, r.F64(176), r.F64(184),
            r.I32(344), r.I32(348), [r.F64(352), r.F64(360), r.F64(368)], [r.F64(376), r.F64(384), r.F64(392)], srow,
            r.I32(500), Text(b.Slice(240, 80)));
    }

    private static NiftiHeader Build(string file, int version, bool big, long[] dim, int dimOffset, int datatype, int datatypeOffset,
        int bitpix, double[] pixdim, double voxOffset, int voxOffsetPosition, double slope, double inter, int qformCode, int sformCode,
        double[] quatern, double[] qoffset, double[] srow, int xyztUnits, string description)
    {
        long ndim = dim[0];
        if (ndim is < 1 or > 7)
        {
            throw new NiftiFormatException(file, dimOffset, $"dim[0] is {ndim}, expected 1..7");
        }

        var dims = new long[ndim];
        long total = 1;
        for (int i = 0; i < ndim; i++)
        {
            dims[i] = dim[i + 1];
            if (dims[i] < 1)
            {
                throw new NiftiFormatException(file, dimOffset + ((i + 1) * (version == 1 ? 2 : 8)), $"dim[{i + 1}] is {dims[i]}, expected ≥ 1");
            }

            if (dims[i] > long.MaxValue / total)
            {
                throw new NiftiFormatException(file, dimOffset, $"dimensions ({string.Join(", ", dims.Take(i + 1))}) overflow a 64-bit voxel count");
            }

            total *= dims[i];
        }

        if (!Enum.IsDefined(typeof(NiftiDataType), (short)datatype) || datatype != (short)datatype)
        {
            throw new NiftiFormatException(file, datatypeOffset, $"datatype {datatype} is not supported (supported: uint8 2, int16 4, int32 8, float32 16, float64 64, int8 256, uint16 512, uint32 768, int64 1024, uint64 1280)");
        }

        var type = (NiftiDataType)(short)datatype;
        int size = ElementConverter.SizeOf(ElementKindOf(type));
        if (bitpix != size * 8)
        {
            throw new NiftiFormatException(file, datatypeOffset + 2, $"bitpix is {bitpix}, but datatype {type} has {size * 8} bits");
        }

        int headerSize = version == 1 ? 352 : 544;
        if (!(voxOffset >= headerSize) || voxOffset > int.MaxValue || voxOffset != Math.Floor(voxOffset))
        {
            throw new NiftiFormatException(file, voxOffsetPosition, $"vox_offset is {voxOffset}, expected a whole number ≥ {headerSize}");
        }

        if (total > long.MaxValue / size)
        {
            throw new NiftiFormatException(file, dimOffset, $"dimensions ({string.Join(", ", dims)}) of {type} overflow a 64-bit byte count");
        }

        double[]? sform = sformCode > 0 ? [.. srow, 0, 0, 0, 1] : null;
        double[]? qform = qformCode > 0 ? QuaternionAffine(quatern, qoffset, pixdim) : null;
        return new NiftiHeader
        {
            Version = version,
            IsBigEndian = big,
            Dimensions = dims,
            DataType = type,
            PixelDimensions = pixdim,
            VoxelOffset = (long)voxOffset,
            ScaleSlope = slope,
            ScaleIntercept = inter,
            QformCode = qformCode,
            SformCode = sformCode,
            SformAffine = sform,
            QformAffine = qform,
            XyztUnits = xyztUnits,
            Description = description,
            Quaternion = [.. quatern],
            QuaternionOffset = [.. qoffset],
            SformRows = srow,
        };
    }

    /// <summary>The qform affine of nifti1.h "method 2": rotation from the quaternion (b, c, d), scaled by pixdim and qfac.</summary>
    private static double[] QuaternionAffine(double[] q, double[] offset, double[] pixdim)
    {
        double b = q[0], c = q[1], d = q[2];
        double a2 = 1.0 - ((b * b) + (c * c) + (d * d));
        double a = a2 < 1e-7 ? 0 : Math.Sqrt(a2);
        if (a == 0)
        {
            // nifti1_io: a 180° rotation; renormalise (b, c, d).
            double norm = Math.Sqrt((b * b) + (c * c) + (d * d));
            if (norm > 0)
            {
                b /= norm;
                c /= norm;
                d /= norm;
            }
        }

        double qfac = pixdim[0] < 0 ? -1 : 1;
        double sx = pixdim[1], sy = pixdim[2], sz = pixdim[3] * qfac;
        double[] r =
        [
            (a * a) + (b * b) - (c * c) - (d * d), 2 * ((b * c) - (a * d)), 2 * ((b * d) + (a * c)),
            2 * ((b * c) + (a * d)), (a * a) + (c * c) - (b * b) - (d * d), 2 * ((c * d) - (a * b)),
            2 * ((b * d) - (a * c)), 2 * ((c * d) + (a * b)), (a * a) + (d * d) - (c * c) - (b * b),
        ];
        return
        [
            r[0] * sx, r[1] * sy, r[2] * sz, offset[0],
            r[3] * sx, r[4] * sy, r[5] * sz, offset[1],
            r[6] * sx, r[7] * sy, r[8] * sz, offset[2],
            0, 0, 0, 1,
        ];
    }

    internal static ElementKind ElementKindOf(NiftiDataType type) => type switch
    {
        NiftiDataType.UInt8 => ElementKind.UInt8,
        NiftiDataType.Int8 => ElementKind.Int8,
        NiftiDataType.Int16 => ElementKind.Int16,
        NiftiDataType.UInt16 => ElementKind.UInt16,
        NiftiDataType.Int32 => ElementKind.Int32,
        NiftiDataType.UInt32 => ElementKind.UInt32,
        NiftiDataType.Int64 => ElementKind.Int64,
        NiftiDataType.UInt64 => ElementKind.UInt64,
        NiftiDataType.Float32 => ElementKind.Float32,
        _ => ElementKind.Float64,
    };

    private static string Text(ReadOnlySpan<byte> field)
    {
        int end = field.IndexOf((byte)0);
        return Encoding.Latin1.GetString(end < 0 ? field : field[..end]).Trim();
    }

    private static string Printable(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        foreach (byte x in bytes)
        {
            sb.Append(x is >= 32 and < 127 ? ((char)x).ToString() : $"\\x{x:x2}");
        }

        return sb.ToString();
    }

    /// <summary>Reads header fields in the file's byte order.</summary>
    private readonly ref struct FieldReader(ReadOnlySpan<byte> bytes, bool big)
    {
        private readonly ReadOnlySpan<byte> _b = bytes;

        public short I16(int at) => big ? BinaryPrimitives.ReadInt16BigEndian(_b[at..]) : BinaryPrimitives.ReadInt16LittleEndian(_b[at..]);

        public int I32(int at) => big ? BinaryPrimitives.ReadInt32BigEndian(_b[at..]) : BinaryPrimitives.ReadInt32LittleEndian(_b[at..]);

        public long I64(int at) => big ? BinaryPrimitives.ReadInt64BigEndian(_b[at..]) : BinaryPrimitives.ReadInt64LittleEndian(_b[at..]);

        public double F32(int at) => big ? BinaryPrimitives.ReadSingleBigEndian(_b[at..]) : BinaryPrimitives.ReadSingleLittleEndian(_b[at..]);

        public double F64(int at) => big ? BinaryPrimitives.ReadDoubleBigEndian(_b[at..]) : BinaryPrimitives.ReadDoubleLittleEndian(_b[at..]);
    }
}
