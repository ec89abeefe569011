using System.Text.Json;
using FmriToImage.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Bundle;

/// <summary>
/// One network of a bundle: where its graph is, its <c>config.json</c> (when its folder has one) and its session,
/// opened on first use (or by <see cref="ModelBundle.Open"/> when sessions open eagerly).
/// </summary>
/// <remarks>Thread-safe: concurrent first uses open the session once. The bundle owns the session and disposes it.</remarks>
internal sealed class BundleComponent
{
    private readonly Lazy<GraphSession> _session;

    internal BundleComponent(BundleComponentKind kind, string name, string relativePath, string fullPath, JsonElement? config, Func<BundleComponent, GraphSession> open)
    {
        Kind = kind;
        Name = name;
        RelativePath = relativePath;
        FullPath = fullPath;
        Config = config;
        _session = new Lazy<GraphSession>(() => open(this), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>What kind of network this is.</summary>
    public BundleComponentKind Kind { get; }

    /// <summary>The component's name: its folder (e.g. "unet") or, for a voxel encoder, its manifest name.</summary>
    public string Name { get; }

    /// <summary>The graph's path relative to the bundle folder, e.g. "unet/model.onnx".</summary>
    public string RelativePath { get; }

    /// <summary>The graph's full path.</summary>
    public string FullPath { get; }

    /// <summary>The component folder's <c>config.json</c>, when there is one.</summary>
    public JsonElement? Config { get; }

    /// <summary>The component's session, opened (and its contract checked) on first use.</summary>
    /// <exception cref="BundleContractException">The graph does not fit its contract (lazy opening).</exception>
    /// <exception cref="OrtException">ONNX Runtime could not load the graph.</exception>
    internal GraphSession Session => _session.Value;

    /// <summary>What the graph declares for each input (ONNX Runtime's metadata: element type, dimensions, symbolic names). Opens the session if needed.</summary>
    public IReadOnlyDictionary<string, NodeMetadata> InputMetadata => Session.Native.InputMetadata;

    /// <summary>What the graph declares for each output. Opens the session if needed.</summary>
    public IReadOnlyDictionary<string, NodeMetadata> OutputMetadata => Session.Native.OutputMetadata;

    /// <summary>
    /// The execution providers the component's session was created with, in ONNX Runtime's priority order, CPU last
    /// (e.g. "CUDAExecutionProvider", "CPUExecutionProvider"; "(application hook)" where
    /// <see cref="ModelBundleOptions.ConfigureSession"/> appended its own). Opens the session if needed.
    /// </summary>
    public IReadOnlyList<string> ExecutionProviders => Session.ExecutionProviders;

    /// <summary>
    /// Why the component runs on CPU although CUDA was preferred (<see cref="ExecutionProviderPolicy.PreferCuda"/>), naming
    /// what is missing; null when it runs where it was asked to. Opens the session if needed.
    /// </summary>
    public string? ExecutionProviderFallbackReason => Session.ExecutionProviderFallbackReason;

    /// <summary>The intra-op thread count its session was created with (0 = one per core). Opens the session when it is lazy.</summary>
    public int IntraOpThreads => Session.IntraOpThreads;

    /// <summary>Whether the session has been opened.</summary>
    public bool IsOpen => _session.IsValueCreated;

    /// <summary>A number from <see cref="Config"/>, or null when the config or the key is absent.</summary>
    /// <param name="key">The config key, e.g. "scaling_factor".</param>
    /// <returns>The value, or null.</returns>
    public double? ConfigNumber(string key) =>
        Config is { ValueKind: JsonValueKind.Object } config && config.TryGetProperty(key, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble()
            : null;

    /// <inheritdoc />
    public override string ToString() => $"{Kind} '{Name}' ({RelativePath})";

    internal void DisposeSession()
    {
        // A voxel encoder's session may be shared with another entry of the same file: the bundle disposes those.
        if (_session.IsValueCreated && Kind != BundleComponentKind.VoxelEncoder)
        {
            _session.Value.Dispose();
        }
    }
}
