using System.Numerics.Tensors;
using FmriToImage.Data.Hdf5;
using FmriToImage.Data.Nifti;
using FmriToImage.Data.Npy;

namespace FmriToImage.Data;

/// <summary>
/// Reads the trials of one brain-data file as a trials × voxels matrix in a decoder's voxel order. What a file means
/// follows from its kind and rank:
/// <list type="table">
/// <listheader><term>file</term><description>read as</description></listheader>
/// <item><term><c>.npy</c> of shape (trials, voxels), or (voxels) for one trial</term>
/// <description><see cref="TrialFileLayout.Matrix"/>: already masked, in the decoder's voxel order and preprocessed as
/// the decoder was trained (NSD decoders: z-scored per session); taken as is.</description></item>
/// <item><term>HDF5 whose <c>/betas</c> is 2-D (trials, voxels) — MindEye2's <c>betas_all_subjNN_fp32_renorm.hdf5</c></term>
/// <description><see cref="TrialFileLayout.Matrix"/>, as above.</description></item>
/// <item><term>HDF5 whose <c>/betas</c> is 4-D (trials, Z, Y, X) — NSD's <c>betas_sessionNN.hdf5</c></term>
/// <description><see cref="TrialFileLayout.Volumes"/>: the mask's voxels, each z-scored over the file's trials.</description></item>
/// <item><term>NIfTI (<c>.nii</c>, <c>.nii.gz</c>) of 4 dimensions (X, Y, Z, trials) — NSD's <c>betas_sessionNN.nii.gz</c></term>
/// <description><see cref="TrialFileLayout.Volumes"/>, as above.</description></item>
/// </list>
/// Volumes are taken to be one session: each masked voxel is z-scored over all the file's trials with the population
/// standard deviation (ddof 0), as NSD/MindEye preprocessing does per session (which also makes the 1/300 scale of
/// NSD's int16 betas irrelevant); a voxel that does not vary becomes 0. A single file carries no trial → image table,
/// so repetitions are not averaged and there is no ground truth: every row is one trial.
/// </summary>
/// <remarks>Stateless and thread-safe. Shapes and voxel counts are checked from the headers before any data are read.</remarks>
public static class TrialFile
{
    private enum FileKind
    {
        Unknown,
        Npy,
        Nifti,
        Hdf5,
    }

    /// <summary>The file name endings read: .npy, .nii, .nii.gz, .h5, .hdf5.</summary>
    public static IReadOnlyList<string> Extensions { get; } = [".npy", ".nii", ".nii.gz", ".h5", ".hdf5"];

    /// <summary>Whether <paramref name="path"/> ends in one of <see cref="Extensions"/> (case-insensitive).</summary>
    public static bool IsSupported(string path) => KindOf(path) != FileKind.Unknown;

    /// <summary>Reads the trials of <paramref name="path"/> (see the type's remarks for what each kind of file means).</summary>
    /// <param name="path">A .npy, .nii, .nii.gz, .h5 or .hdf5 file.</param>
    /// <param name="voxelCount">The decoder's voxel count: the width a matrix must have and the size the mask must have.</param>
    /// <param name="mask">The decoder's voxel mask (a bundle's <c>masks/nsdgeneral.nii.gz</c>), needed for volumes; null when there is none.</param>
    /// <param name="order">The order in which the mask's voxels become columns (the decoder's: NumPy C order over (X, Y, Z) for NSD bundles).</param>
    /// <param name="limit">Keep only the first N trials (volumes are still z-scored over all of them), or null for all.</param>
    /// <param name="nonFinite">
    /// NaN and infinite values: Reject (throw), ReplaceWithZero (0 before volumes are z-scored), or SkipTrial (leave out
    /// each trial that holds one — among the first <paramref name="limit"/>, listed in <see cref="TrialFileContents.SkippedTrials"/>;
    /// volumes are z-scored over the file's other trials).
    /// </param>
    /// <param name="progress">Receives the number of voxel series or volumes read (volumes only).</param>
    /// <param name="cancellationToken">Checked between reads and inside long ones (between HDF5 chunks, rows and pieces).</param>
    /// <returns>The trials and how the file was read.</returns>
    /// <exception cref="ArgumentException">The file name has none of <see cref="Extensions"/>.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="DataShapeException">The array has the wrong rank, no trials, a grid other than the mask's, or volumes come without a mask or with fewer than 2 trials (2 finite trials with SkipTrial).</exception>
    /// <exception cref="VoxelCountMismatchException">A matrix is not <paramref name="voxelCount"/> wide, or the mask does not hold <paramref name="voxelCount"/> voxels.</exception>
    /// <exception cref="MalformedFileException">The file is malformed.</exception>
    /// <exception cref="FmriToImageException">An HDF5 file has no <c>/betas</c> dataset, or its <c>/betas</c> does not hold numbers.</exception>
    /// <exception cref="NonFiniteValueException">A value is NaN or infinite and <paramref name="nonFinite"/> is Reject (the exception names the trial and voxel).</exception>
    /// <exception cref="DataSizeLimitException">The trials kept (all of them for volumes, which are z-scored over the file) × voxels exceed <see cref="ReadLimits.MaxValues"/>; checked from the header before anything is read.</exception>
    public static async Task<TrialFileContents> ReadAsync(string path, int voxelCount, VoxelMask? mask, VoxelOrder order = VoxelOrder.NumpyXyz, int? limit = null,
        NonFiniteHandling nonFinite = NonFiniteHandling.Reject, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(voxelCount);
        if (limit is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "the limit must be at least 1 trial");
        }

        if (!Enum.IsDefined(nonFinite))
        {
            throw new ArgumentOutOfRangeException(nameof(nonFinite), nonFinite, "not a NonFiniteHandling value");
        }

        var kind = KindOf(path);
        if (kind == FileKind.Unknown)
        {
            throw new ArgumentException($"'{path}' is not a file of trials this library reads; expected one ending in {string.Join(", ", Extensions)}.", nameof(path));
        }

        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The data file '{path}' does not exist.", path);
        }

        return kind switch
        {
            FileKind.Npy => ReadNpy(path, voxelCount, limit, nonFinite),
            FileKind.Nifti => await ReadNiftiAsync(path, voxelCount, mask, order, limit, nonFinite, progress, cancellationToken).ConfigureAwait(false),
            _ => await ReadHdf5Async(path, voxelCount, mask, order, limit, nonFinite, progress, cancellationToken).ConfigureAwait(false),
        };
    }

    private static FileKind KindOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var name = Path.GetFileName(path);
        if (name.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            return FileKind.Npy;
        }

        if (name.EndsWith(".nii", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase))
        {
            return FileKind.Nifti;
        }

        return name.EndsWith(".h5", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".hdf5", StringComparison.OrdinalIgnoreCase) ? FileKind.Hdf5 : FileKind.Unknown;
    }

    private static TrialFileContents ReadNpy(string path, int voxelCount, int? limit, NonFiniteHandling nonFinite)
    {
        using var stream = File.OpenRead(path);
        var header = NpyFile.ReadHeader(stream, path);
        var shape = header.Shape;
        var (trials, width) = shape.Length switch
        {
            1 => (1L, shape[0]),
            2 => (shape[0], shape[1]),
            _ => throw new DataShapeException(path, "(trials, voxels) or (voxels)", Describe(shape)),
        };
        int rows = Rows(trials, limit);
        CheckMatrix(path, shape, trials, rows, width, voxelCount, limit is not null);
        float[] data;
        if (header.FortranOrder && shape.Length == 2 && trials > 1)
        {
            // Column-major: the first rows are not contiguous; read the whole array (in C order) and keep them.
            stream.Position = 0;
            var all = NpyFile.ReadAsSingle(stream, path);
            var values = new float[all.FlattenedLength];
            all.FlattenTo(values);
            data = rows == trials ? values : values.AsSpan(0, rows * voxelCount).ToArray();
        }
        else
        {
            // Row-major: the first rows are the file's first rows × voxels elements; read only those, a row at a time.
            data = new float[(long)rows * voxelCount];
            var row = new byte[checked(voxelCount * header.ElementSize)];
            stream.Position = header.DataOffset;
            for (var r = 0; r < rows; r++)
            {
                if (stream.ReadAtLeast(row, row.Length, throwOnEndOfStream: false) < row.Length)
                {
                    throw new NpyFormatException(path, header.DataOffset, $"the data end inside trial {r} of shape {Describe(shape)}");
                }

                ElementConverter.ToSingle(row, header.DataType, header.IsBigEndian, data.AsSpan(r * voxelCount, voxelCount));
            }
        }

        return Finish(new VoxelMatrix(data, rows, voxelCount), TrialFileLayout.Matrix, trials, nonFinite);
    }

    private static async Task<TrialFileContents> ReadHdf5Async(string path, int voxelCount, VoxelMask? mask, VoxelOrder order, int? limit,
        NonFiniteHandling nonFinite, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        using var file = Hdf5File.Open(path);
        var betas = file.GetDataset("/betas");
        if (!betas.DataType.IsNumeric)
        {
            throw new Hdf5TypeNotNumericException(path, betas.Path, betas.DataType.Describe()); // before any shape check: the file is wrong, not its fit
        }

        long[] shape = [.. betas.Shape];
        if (shape.Length == 2)
        {
            int rows = Rows(shape[0], limit);
            CheckMatrix(path, shape, shape[0], rows, shape[1], voxelCount, limit is not null);
            var data = GC.AllocateUninitializedArray<float>(rows * voxelCount); // the read writes every element (data or fill value)
            await betas.ReadHyperslabAsync([0, 0], [rows, voxelCount], null, data, cancellationToken).ConfigureAwait(false);
            return Finish(new VoxelMatrix(data, rows, voxelCount), TrialFileLayout.Matrix, shape[0], nonFinite);
        }

        if (shape.Length != 4)
        {
            throw new DataShapeException($"{path}:/betas", "(trials, voxels) or (trials, Z, Y, X)", Describe(shape));
        }

        var selection = VolumeSelection($"{path}:/betas", Describe(shape), shape[0], (shape[3], shape[2], shape[1]), mask, voxelCount);
        ReadLimits.Check($"{path}:/betas", shape, ReadLimits.Product(shape[0], voxelCount), "volumes are z-scored over all the file's trials, so all are read; split the file by session");
        var matrix = await VoxelMatrix.FromHdf5Async(betas, selection, order, 1f, progress, cancellationToken).ConfigureAwait(false);
        return ZScored(matrix, limit, nonFinite, $"{path}:/betas");
    }

    private static async Task<TrialFileContents> ReadNiftiAsync(string path, int voxelCount, VoxelMask? mask, VoxelOrder order, int? limit,
        NonFiniteHandling nonFinite, IProgress<int>? progress, CancellationToken cancellationToken)
    {
        using var reader = NiftiReader.Open(path);
        var header = reader.Header;
        var shape = header.Dimensions.ToArray();
        if (shape.Length < 4)
        {
            throw new DataShapeException(path, "betas volumes (X, Y, Z, trials)", Describe(shape),
                "a single volume cannot be z-scored over trials; write the session's volumes as one 4-D file, or preprocessed trials as a (trials, voxels) .npy");
        }

        var selection = VolumeSelection(path, Describe(shape), header.VolumeCount, header.Grid, mask, voxelCount);
        ReadLimits.Check(path, shape, ReadLimits.Product(header.VolumeCount, voxelCount), "volumes are z-scored over all the file's trials, so all are read; split the file by session");
        var matrix = await VoxelMatrix.FromNiftiAsync(reader, selection, order, 1f, progress, cancellationToken).ConfigureAwait(false);
        return ZScored(matrix, limit, nonFinite, path);
    }

    private static void CheckMatrix(string path, long[] shape, long trials, int rows, long width, int voxelCount, bool limited)
    {
        if (trials < 1)
        {
            throw new DataShapeException(path, "at least one trial", Describe(shape));
        }

        if (width != voxelCount)
        {
            var hint = trials == voxelCount ? "; its first dimension has the expected count: is it voxels × trials? Transpose it" : "";
            throw new VoxelCountMismatchException("the decoder", voxelCount, width, $"'{path}' has shape {Describe(shape)}; a matrix holds (trials, voxels) in the decoder's voxel order{hint}");
        }

        // Only the rows kept are read: the limit, not the file's trial count, bounds the read.
        ReadLimits.Check(path, shape, (long)rows * width, limited ? "pass a smaller limit, or split the file" : "pass a limit (--limit), or split the file");
    }

    private static VoxelSelection VolumeSelection(string source, string shape, long trials, (long X, long Y, long Z) grid, VoxelMask? mask, int voxelCount)
    {
        if (mask is null)
        {
            throw new DataShapeException(source, "a (trials, voxels) matrix: there is no voxel mask to take the decoder's voxels from volumes", $"volumes {shape}",
                "use a bundle whose fmri_decoder.json names masks.nsdgeneral");
        }

        if (grid != (mask.Dimensions.X, mask.Dimensions.Y, mask.Dimensions.Z))
        {
            throw new DataShapeException(source, $"volumes on the mask's grid {mask.Dimensions}", $"grid {grid} (shape {shape})",
                "the betas must be in the space the decoder was trained in (NSD: func1pt8mm)");
        }

        if (trials < 2)
        {
            throw new DataShapeException(source, "a session of at least 2 trials to z-score each voxel over", $"{trials} trial(s) (shape {shape})");
        }

        if (mask.Count != voxelCount)
        {
            throw new VoxelCountMismatchException("the decoder", voxelCount, mask.Count, $"its voxel mask selects {mask.Count} voxels from '{source}'");
        }

        return VoxelSelection.All(mask);
    }

    /// <summary>Z-scores the volumes' voxels over the file's trials (one session), without the skipped ones, and keeps the first <paramref name="limit"/>.</summary>
    internal static TrialFileContents ZScored(VoxelMatrix matrix, int? limit, NonFiniteHandling nonFinite, string source)
    {
        int rows = Rows(matrix.TrialCount, limit);
        if (nonFinite != NonFiniteHandling.SkipTrial)
        {
            Standardizer.ZScoreBySession(matrix, new int[matrix.TrialCount], nonFinite: nonFinite); // the file's trials are one session
            var kept = rows == matrix.TrialCount ? matrix : matrix.SelectRows(Enumerable.Range(0, rows).ToArray());
            return new TrialFileContents(kept, TrialFileLayout.Volumes, matrix.TrialCount);
        }

        var (finite, skipped) = SplitFinite(matrix);
        if (finite.Length < 2)
        {
            throw new DataShapeException(source, "a session of at least 2 finite trials to z-score each voxel over", $"{finite.Length} of its {matrix.TrialCount} trials without NaN or infinite values");
        }

        var session = skipped.Length == 0 ? matrix : matrix.SelectRows(finite);
        Standardizer.ZScoreBySession(session, new int[session.TrialCount]);
        int within = finite.Count(t => t < rows); // finite is in file order
        return new TrialFileContents(within == session.TrialCount ? session : session.SelectRows(Enumerable.Range(0, within).ToArray()), TrialFileLayout.Volumes, matrix.TrialCount)
        {
            Trials = finite[..within],
            SkippedTrials = skipped.Where(t => t < rows).ToArray(),
        };
    }

    private static TrialFileContents Finish(VoxelMatrix matrix, TrialFileLayout layout, long trialsInFile, NonFiniteHandling nonFinite)
    {
        if (nonFinite != NonFiniteHandling.SkipTrial)
        {
            matrix.EnsureFinite(nonFinite);
            return new TrialFileContents(matrix, layout, trialsInFile);
        }

        var (finite, skipped) = SplitFinite(matrix);
        return new TrialFileContents(skipped.Length == 0 ? matrix : matrix.SelectRows(finite), layout, trialsInFile) { Trials = finite, SkippedTrials = skipped };
    }

    /// <summary>The rows without and with a NaN or infinite value, each in order.</summary>
    private static (int[] Finite, int[] Skipped) SplitFinite(VoxelMatrix matrix)
    {
        var finite = new List<int>(matrix.TrialCount);
        var skipped = new List<int>();
        for (int t = 0; t < matrix.TrialCount; t++)
        {
            (TensorPrimitives.IsFiniteAll<float>(matrix.Row(t)) ? finite : skipped).Add(t);
        }

        return ([.. finite], [.. skipped]);
    }

    private static int Rows(long trials, int? limit) => (int)Math.Min(trials, limit ?? int.MaxValue);

    private static string Describe(IEnumerable<long> shape) => $"({string.Join(", ", shape)})";
}
