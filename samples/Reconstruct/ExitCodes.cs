using FmriToImage.Data;
using FmriToImage.Data.Atlas;
using FmriToImage.Onnx;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>The process exit codes of fmri2img-reconstruct (README.md and --help list them).</summary>
internal static class ExitCodes
{
    /// <summary>Every trial reconstructed and evaluated; outputs written.</summary>
    public const int Success = 0;

    /// <summary>An unexpected error: a bug (System.CommandLine prints the exception and its stack trace).</summary>
    public const int UnexpectedError = 1;

    /// <summary>
    /// Wrong usage: an unknown option or value, a value out of range (also one only the bundle bounds, such as --steps
    /// beyond its scheduler's training steps), a --data file of an unknown kind, an --out that is not a folder the job can
    /// write (empty, an existing file, /dev/null; checked before the bundle loads), --resume over trials of another bundle
    /// or other settings (each differing setting named, --nonfinite included), --rows/--images/--image-ids that do not
    /// fit the data, --roi-set without an Algonauts folder or naming an unknown ROI, --nonfinite zero|skip-trial with a
    /// --data folder, --merge over trials not all done or not all of this run, a Slurm array whose task ids are not one
    /// evenly stepped range.
    /// </summary>
    public const int Usage = 2;

    /// <summary>The --bundle folder, the --data path, or an --evaluation-bundle, --mean-image or --images path does not exist.</summary>
    public const int PathNotFound = 3;

    /// <summary>
    /// The bundle or a data file is invalid: malformed (<see cref="MalformedFileException"/> of any format: not UTF-8 or JSON, a null or mistyped field, a path with a control
    /// character or naming a folder), a file missing, a file not listed in fmri_decoder.json or not matching its checksum,
    /// a graph contract that fails; NaN or infinite voxels (with --nonfinite error, the default; with skip-trial when no
    /// trial is left); an --evaluation-bundle or --mean-image that is invalid (opened right after the bundle, before any
    /// trial runs).
    /// </summary>
    public const int Invalid = 4;

    /// <summary>The data do not fit the bundle: another subject, voxel count, grid or array rank.</summary>
    public const int DataDoesNotFitBundle = 5;

    /// <summary>
    /// An execution provider cannot load: --device cuda without the CUDA provider (a CPU build), CUDA 13 or cuDNN 9 (the
    /// message names the missing library), or no ONNX Runtime native library.
    /// </summary>
    public const int ExecutionProviderUnavailable = 6;

    /// <summary>Cancelled (Ctrl+C); finished trials stay in --out for --resume.</summary>
    public const int Cancelled = 130;

    /// <summary>
    /// The exit code of a failure that escaped a command, or null for one no code covers (a bug: it propagates, exit 1):
    /// the one mapping of exceptions to the codes above. The commands differ only where one exception type means
    /// something else to them, and say so: <paramref name="refusedArgument"/> is the code of the library refusing an
    /// argument (an <see cref="ArgumentException"/> other than <see cref="ArgumentNullException"/>; null where that is a
    /// bug), <paramref name="unreadableInput"/> the code of an input file missing or unparsable
    /// (<see cref="FileNotFoundException"/>, <see cref="FormatException"/>).
    /// </summary>
    public static int? Of(Exception exception, int? refusedArgument, int unreadableInput) => exception switch
    {
        OperationCanceledException => Cancelled,
        UsageException or UnknownRoiException => Usage,
        ArgumentNullException => null,
        ArgumentException => refusedArgument,
        ExecutionProviderUnavailableException or OnnxRuntimeLoadException => ExecutionProviderUnavailable,
        VoxelCountMismatchException or DataShapeException => DataDoesNotFitBundle,
        FileNotFoundException or FormatException => unreadableInput,
        FmriToImageException or InvalidDataException => Invalid,
        _ => null,
    };

    /// <summary>The exit codes as --help prints them.</summary>
    public static string Description =>
        $"""
        Exit codes:
          {Success}    success
          {UnexpectedError}    unexpected error (a bug; the stack trace is printed)
          {Usage}    usage: unknown option or value, value out of range (for the bundle too, e.g. --steps), --data file of an unknown kind,
               --out not a writable folder (empty, a file, /dev/null), --resume over trials made with another bundle or
               other settings (each named), --rows/--images/--image-ids that do not fit the data, --roi-set without an
               Algonauts folder or naming an unknown ROI, --nonfinite zero|skip-trial with a --data folder, --merge over
               trials not all done or not all of this run, a Slurm array that is not one evenly stepped range of task ids
          {PathNotFound}    the --bundle folder, the --data path, or an --evaluation-bundle, --mean-image or --images path does not exist
          {Invalid}    the bundle or a data file is invalid (malformed, incomplete, a file unlisted or changed, graph contract);
               NaN or infinite voxels (--nonfinite error, the default; skip-trial leaving no trial); an invalid
               --evaluation-bundle or --mean-image (checked before any trial runs)
          {DataDoesNotFitBundle}    the data do not fit the bundle (subject, voxel count, grid, array rank)
          {ExecutionProviderUnavailable}    an execution provider cannot load (--device cuda: the CUDA provider, CUDA 13 or cuDNN 9
               missing — named in the message; build with -p:OnnxRuntimeFlavor=Gpu), or no ONNX Runtime native library
          {Cancelled}  cancelled (Ctrl+C); finished trials stay in --out for --resume
        """;
}
