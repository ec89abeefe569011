using FmriToImage.Bundle;
using FmriToImage.Data;
using FmriToImage.Data.Atlas;
using FmriToImage.Onnx;
using FmriToImage.Samples.Reconstruct;

namespace FmriToImage.Tests.Samples.Reconstruct;

/// <summary>
/// The one exception → exit code mapping (<see cref="ExitCodes.Of"/>) as the two commands call it: the codes each gave
/// with its own catch list before they shared it (README.md and --help document them) — except for adapt, whose
/// list left out library failures it does not expect (a provider or runtime that cannot load, a voxel-count mismatch,
/// an unknown ROI, a corrupt compressed stream): those exited 1 as bugs and now get the main job's codes (6, 5, 2, 4);
/// and an <see cref="ArgumentNullException"/>, which adapt's <c>catch (ArgumentException)</c> took for a bad argument
/// (5), is now a bug (1), as in the main job (adapt passes no null to the library). No adapt code in docs changed.
/// </summary>
public sealed class ExitCodesTests
{
    public static TheoryData<string, int?, int?, int?> Failures() => new()
    {
        // exception, reconstruct (before a trial ran), reconstruct (after), adapt
        { "cancelled", 130, 130, 130 },
        { "usage", 2, 2, 2 },
        { "unknown roi", 2, 2, 2 },
        { "argument", 2, null, 5 },
        { "argument null", null, null, null },
        { "argument out of range", 2, null, 5 },
        { "provider unavailable", 6, 6, 6 },
        { "runtime load", 6, 6, 6 },
        { "voxel count", 5, 5, 5 },
        { "data shape", 5, 5, 5 },
        { "non-finite", 4, 4, 4 },
        { "bundle contract", 4, 4, 4 },
        { "bundle integrity", 4, 4, 4 },
        { "file not found", 4, 4, 5 },
        { "format", 4, 4, 5 },
        { "invalid data", 4, 4, 4 },
        { "a bug", null, null, null },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Each_command_maps_a_failure_to_its_documented_code(string failure, int? beforeTrials, int? afterTrials, int? adapt)
    {
        var exception = Exception(failure);
        Assert.Equal(beforeTrials, ExitCodes.Of(exception, refusedArgument: ExitCodes.Usage, unreadableInput: ExitCodes.Invalid));
        Assert.Equal(afterTrials, ExitCodes.Of(exception, refusedArgument: null, unreadableInput: ExitCodes.Invalid));
        Assert.Equal(adapt, ExitCodes.Of(exception, refusedArgument: ExitCodes.DataDoesNotFitBundle, unreadableInput: ExitCodes.DataDoesNotFitBundle));
    }

    private static Exception Exception(string failure) => failure switch
    {
        "cancelled" => new TaskCanceledException(),
        "usage" => new UsageException("--steps", "must be positive"),
        "unknown roi" => new UnknownRoiException("V9", ["V1v", "V1d"]),
        "argument" => new ArgumentException("bad", "x"),
        "argument null" => new ArgumentNullException("x"),
        "argument out of range" => new ArgumentOutOfRangeException("x"),
        "provider unavailable" => new ExecutionProviderUnavailableException("CUDAExecutionProvider", "no CUDA"),
        "runtime load" => new OnnxRuntimeLoadException("no onnxruntime"),
        "voxel count" => new VoxelCountMismatchException("voxels", 10, 12),
        "data shape" => new DataShapeException("x.npy", "rank 2", "rank 3"),
        "non-finite" => new NonFiniteValueException(0, 1, float.NaN),
        "bundle contract" => new BundleContractException("bundle", ["unet: no input 'sample'"]),
        "bundle integrity" => new BundleIntegrityException("bundle/unet/model.onnx"),
        "file not found" => new FileNotFoundException("missing", "x.csv"),
        "format" => new FormatException("no column"),
        "invalid data" => new InvalidDataException("bad"),
        _ => new InvalidOperationException("a bug"),
    };
}
