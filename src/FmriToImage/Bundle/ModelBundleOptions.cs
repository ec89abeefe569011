using System.Collections.Frozen;
using FmriToImage.Onnx;
using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Bundle;

/// <summary>How <see cref="ModelBundle.Open"/> treats a bundle.</summary>
internal sealed record ModelBundleOptions
{
    /// <summary>
    /// Open every component's session in <see cref="ModelBundle.Open"/> and check all contracts there (default true), so a
    /// bad export fails at load. When false, sessions open on first use and their contracts are checked then
    /// (<see cref="ModelBundle.Validate"/> forces the full check at any time).
    /// </summary>
    public bool OpenSessionsEagerly { get; init; } = true;

    /// <summary>Check every file's sha256 against <c>fmri_decoder.json</c> (default true; large exports take seconds).</summary>
    public bool VerifyChecksums { get; init; } = true;

    /// <summary>CPU (default), CUDA with a reported fallback, or CUDA only (see <see cref="ExecutionProviderPolicy"/>).</summary>
    public ExecutionProviderPolicy ExecutionProvider { get; init; } = ExecutionProviderPolicy.Cpu;

    /// <summary>
    /// Threads per ONNX Runtime operator; 0 lets ONNX Runtime choose. Small encoders run on one (<see cref="SettingsFor"/>).
    /// </summary>
    public int IntraOpThreads { get; init; }

    /// <summary>
    /// Called with each component's kind and ONNX Runtime's <see cref="SessionOptions"/> after the library's own
    /// settings and provider, before the session is created: append any execution provider there (TensorRT,
    /// OpenVINO, ROCm, DirectML, CoreML, ...; with <see cref="ExecutionProviderPolicy.Cpu"/> the library appends none,
    /// so the hook's providers come first and CPU takes what they cannot run), or change any other option.
    /// </summary>
    public Action<BundleComponentKind, SessionOptions>? ConfigureSession { get; init; }

    /// <summary>Every session setting the library knows (tests and benchmarks); overrides the three above when set.</summary>
    internal SessionSettings? Settings { get; init; }

    /// <summary>
    /// The kinds whose work grows with their weights times a few tokens or one vector per trial (no image-sized
    /// activations): when their graph is small (<see cref="GraphWeights.IsSmall"/>) they run on one intra-op thread.
    /// The UNet, prior, VAE and generator keep <see cref="IntraOpThreads"/> whatever their size: even the demo's run
    /// convolutions over whole images or sit in the denoising loop, and gain from every core.
    /// </summary>
    internal static IReadOnlySet<BundleComponentKind> OneThreadWhenSmall { get; } = new HashSet<BundleComponentKind>
    {
        BundleComponentKind.VoxelEncoder,
        BundleComponentKind.SubjectAdapter,
        BundleComponentKind.TextEncoder,
        BundleComponentKind.ImageEncoder,
        BundleComponentKind.CaptionerVision,
        BundleComponentKind.CaptionerDecoder,
        BundleComponentKind.CaptionerTokenConverter,
    };

    /// <summary>
    /// The kinds that run one voxel vector per trial (a batch of trials at most) through large matrices: when their graph
    /// is not small they open without ONNX Runtime's weight pre-packing (<c>session.disable_prepacking</c>). Pre-packing
    /// copies every large matrix into the packed layout at load — MindEye2's 7 GB backbone peaked at 1.92 × its weights
    /// and took 30 s to load, against 1.17 × and 3.7 s without; the first call then reads the mapped weights in, later
    /// calls cost 0.02–0.36 s more per batch of 8 trials (docs/performance.md, "Pre-packing and the voxel encoders") —
    /// negligible beside a trial's diffusion. Subject adapters given as graphs are included by analogy (not measured).
    /// </summary>
    internal static IReadOnlySet<BundleComponentKind> NoPrepackingWhenLarge { get; } = new HashSet<BundleComponentKind>
    {
        BundleComponentKind.VoxelEncoder,
        BundleComponentKind.SubjectAdapter,
    };

    private static readonly IReadOnlyDictionary<string, string> NoPrepacking = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["session.disable_prepacking"] = "1",
    }.ToFrozenDictionary(StringComparer.Ordinal);

    private static readonly IReadOnlyDictionary<string, string> NoEntries = FrozenDictionary<string, string>.Empty;

    /// <summary>
    /// The settings for one component: <see cref="Settings"/> as given, or the public options — with one intra-op thread
    /// for a small graph of the kinds in <see cref="OneThreadWhenSmall"/> when <see cref="IntraOpThreads"/> is 0 (the
    /// library chooses; measured: docs/performance.md, "Small networks on one thread"; an explicit count is kept and the
    /// hook can set any), and no weight pre-packing for a large graph of the kinds in <see cref="NoPrepackingWhenLarge"/>
    /// (the hook can turn it back on) — with the hook bound to <paramref name="kind"/>.
    /// </summary>
    /// <param name="kind">The component's kind.</param>
    /// <param name="graphPath">Its graph file.</param>
    internal SessionSettings SettingsFor(BundleComponentKind kind, string graphPath)
    {
        // Float16 graphs are converted at their edge: the library's wrappers work in float32 throughout.
        var chosen = Settings ?? new SessionSettings
        {
            ExecutionProvider = ExecutionProvider,
            IntraOpThreads = ThreadsFor(kind, graphPath),
            ConfigEntries = NoPrepackingWhenLarge.Contains(kind) && !GraphWeights.IsSmall(graphPath) ? NoPrepacking : NoEntries,
        };
        var settings = chosen with { Float16AsFloat32 = true };
        return ConfigureSession is { } hook ? settings with { Configure = options => hook(kind, options) } : settings;
    }

    /// <summary>
    /// The public options' thread count for one component: one for a small encoder only when the library chooses (0); a
    /// count the caller gave goes to every network. Not consulted when <see cref="Settings"/> is given, so the graph's
    /// folder is not listed then.
    /// </summary>
    private int ThreadsFor(BundleComponentKind kind, string graphPath) =>
        IntraOpThreads == 0 && OneThreadWhenSmall.Contains(kind) && GraphWeights.IsSmall(graphPath) ? 1 : IntraOpThreads;

    /// <summary>
    /// What needs a file of the bundle (its path relative to the folder, '/'-separated; the manifest when there is one),
    /// named by <see cref="BundleComponentMissingException.NeededBy"/> when the file is missing. The bundle knows no
    /// pipelines: the pipelines' table supplies this; null names nothing.
    /// </summary>
    internal Func<string, DecoderManifest?, IReadOnlyList<string>>? NeededBy { get; init; }

    /// <summary>Where the bundle and its sessions report (execution provider fallbacks, lazy opens), or null.</summary>
    public ILogger? Logger { get; init; }
}
