using System.Globalization;
using System.Numerics.Tensors;

namespace FmriToImage.Data.Nsd;

/// <summary>
/// Conventions of the Natural Scenes Dataset (NSD Data Manual): file layout, beta scaling, trial numbering and the
/// per-subject facts a loader needs. Subjects are numbered 1–8 and sessions from 1, as in the NSD file names.
/// </summary>
internal static class NsdLayout
{
    /// <summary>Session betas are stored as int16 percent signal change × 300: divide by this.</summary>
    public const float BetaScale = 300f;

    /// <summary>Trials in one NSD scan session (12 runs).</summary>
    public const int TrialsPerSession = 750;

    /// <summary>Sessions completed by subjects 1–8.</summary>
    public static IReadOnlyList<int> SessionsPerSubject { get; } = [40, 40, 32, 30, 40, 32, 40, 30];

    /// <summary>nsdgeneral voxel counts at 1.8 mm for subjects 1–8.</summary>
    public static IReadOnlyList<int> NsdGeneralVoxels { get; } = [15724, 14278, 15226, 13153, 13039, 17907, 12682, 14386];

    /// <summary>The 1.8-mm functional grid (X, Y, Z) of subjects 1–8.</summary>
    public static IReadOnlyList<(int X, int Y, int Z)> Grid1pt8mm { get; } =
        [(81, 104, 83), (82, 106, 84), (81, 106, 82), (85, 99, 80), (79, 97, 78), (85, 113, 83), (78, 95, 81), (80, 103, 78)];

    /// <summary>Converts stored betas to percent signal change in place (÷ 300).</summary>
    public static void ToPercentSignalChange(Span<float> betas) => TensorPrimitives.Divide(betas, BetaScale, betas);

    /// <summary>The 0-based global trial index (row of a whole-experiment matrix) of a 1-based session and 1-based trial in it.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Session &lt; 1 or trial outside 1..750.</exception>
    public static int GlobalTrialIndex(int session, int trialInSession)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(session, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(trialInSession, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(trialInSession, TrialsPerSession);
        return ((session - 1) * TrialsPerSession) + trialInSession - 1;
    }

    /// <summary>The 1-based session and 1-based trial within it of a 0-based global trial index.</summary>
    public static (int Session, int Trial) SessionOf(int globalTrialIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(globalTrialIndex);
        return ((globalTrialIndex / TrialsPerSession) + 1, (globalTrialIndex % TrialsPerSession) + 1);
    }

    /// <summary>
    /// The path of a session's betas below an NSD root:
    /// <c>nsddata_betas/ppdata/subjXX/{space}/{version}/betas_sessionNN.{hdf5|nii.gz}</c>.
    /// </summary>
    /// <param name="root">The folder holding <c>nsddata_betas</c>.</param>
    /// <param name="subject">1–8.</param>
    /// <param name="session">1-based session.</param>
    /// <param name="extension">"hdf5" or "nii.gz".</param>
    /// <param name="space">"func1pt8mm" or "func1mm".</param>
    /// <param name="version">"betas_fithrf_GLMdenoise_RR" (b3), "betas_fithrf" (b2) or "betas_assumehrf" (b1).</param>
    public static string SessionBetasPath(string root, int subject, int session, string extension = "hdf5", string space = "func1pt8mm",
        string version = "betas_fithrf_GLMdenoise_RR")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(subject, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(subject, 8);
        ArgumentOutOfRangeException.ThrowIfLessThan(session, 1);
        return Path.Combine(root, "nsddata_betas", "ppdata", Subject(subject), space, version,
            string.Create(CultureInfo.InvariantCulture, $"betas_session{session:D2}.{extension}"));
    }

    /// <summary>The path of an ROI volume: <c>nsddata/ppdata/subjXX/{space}/roi/{name}.nii.gz</c>.</summary>
    public static string RoiPath(string root, int subject, string name, string space = "func1pt8mm") =>
        Path.Combine(root, "nsddata", "ppdata", Subject(subject), space, "roi", name + ".nii.gz");

    /// <summary>The path of a label table: <c>nsddata/freesurfer/subjXX/label/{name}.mgz.ctab</c>.</summary>
    public static string LabelTablePath(string root, int subject, string name) =>
        Path.Combine(root, "nsddata", "freesurfer", Subject(subject), "label", name + ".mgz.ctab");

    /// <summary>The path of <c>nsddata/experiments/nsd/nsd_stim_info_merged.csv</c>.</summary>
    public static string StimulusInfoPath(string root) => Path.Combine(root, "nsddata", "experiments", "nsd", "nsd_stim_info_merged.csv");

    private static string Subject(int subject) => string.Create(CultureInfo.InvariantCulture, $"subj{subject:D2}");
}
