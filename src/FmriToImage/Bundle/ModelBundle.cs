using System.Text.Json;
using FmriToImage.Onnx;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FmriToImage.Bundle;

/// <summary>
/// A model bundle: a folder laid out like a diffusers/optimum ONNX export (<c>model_index.json</c>, one folder per
/// component) plus the brain-specific <c>fmri_decoder.json</c>. Opening checks file integrity (sha256), keeps every
/// path inside the folder, and checks each graph's contract, reporting all mismatches at once — so a bad export fails
/// here, never mid-reconstruction. A plain Stable Diffusion export (no <c>fmri_decoder.json</c>) opens for its
/// diffusion parts. The layout and every rule: docs/model-bundle.md.
/// </summary>
/// <remarks>
/// Thread-safe after <see cref="Open"/> returns (lazy sessions open once). Owns the component sessions;
/// <see cref="Dispose"/> releases them.
/// </remarks>
internal sealed class ModelBundle : IDisposable
{
    /// <summary>The brain-specific manifest's file name.</summary>
    public const string DecoderManifestFileName = "fmri_decoder.json";

    /// <summary>The diffusers index's file name.</summary>
    public const string ModelIndexFileName = "model_index.json";

    /// <summary>The UNet's scheduler config (<c>scheduler/scheduler_config.json</c>, the diffusers layout).</summary>
    public const string SchedulerConfigPath = "scheduler/scheduler_config.json";

    /// <summary>The diffusion prior's own scheduler config (required beside <c>prior/model.onnx</c>).</summary>
    public const string PriorSchedulerConfigPath = "prior/scheduler_config.json";

    private static readonly JsonSerializerOptions ManifestJson = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = null,
        RespectNullableAnnotations = true,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private readonly Dictionary<BundleComponentKind, BundleComponent> _components = [];

    /// <summary>One session per voxel-encoder graph file: entries naming the same file (a backbone with two roles) share it.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<GraphSession>> _encoderSessions = new(StringComparer.Ordinal);
    private readonly ModelBundleOptions _options;
    private readonly ILogger _logger;

    /// <summary>The bundle's files as the manifest vouches for them (hashes checked when checksums are verified).</summary>
    private readonly BundleFiles _files;

    private ModelBundle(string rootPath, DecoderManifest? decoder, ModelBundleOptions options)
    {
        RootPath = rootPath;
        _files = new BundleFiles(rootPath, PipelinesNeeding);
        ModelIndexComponents = new Dictionary<string, string>();
        Decoder = decoder;
        _options = options;
        _logger = options.Logger ?? NullLogger.Instance;
        VoxelEncoders = [];
        SubjectAdapters = new Dictionary<string, BundleComponent>();
    }

    /// <summary>The bundle folder's full path.</summary>
    public string RootPath { get; }

    /// <summary>The components <c>model_index.json</c> lists, with their "library.Class" (e.g. "diffusers.UNet2DConditionModel").</summary>
    public IReadOnlyDictionary<string, string> ModelIndexComponents { get; private set; }

    /// <summary>The brain-specific manifest, or null for a plain diffusion export.</summary>
    public DecoderManifest? Decoder { get; }

    /// <summary>The text encoder, or null when the bundle has none.</summary>
    public BundleComponent? TextEncoder => Get(BundleComponentKind.TextEncoder);

    /// <summary>The image encoder, or null.</summary>
    public BundleComponent? ImageEncoder => Get(BundleComponentKind.ImageEncoder);

    /// <summary>The UNet, or null.</summary>
    public BundleComponent? Unet => Get(BundleComponentKind.Unet);

    /// <summary>The VAE encoder, or null.</summary>
    public BundleComponent? VaeEncoder => Get(BundleComponentKind.VaeEncoder);

    /// <summary>The VAE decoder, or null.</summary>
    public BundleComponent? VaeDecoder => Get(BundleComponentKind.VaeDecoder);

    /// <summary>The captioner's vision encoder, or null.</summary>
    public BundleComponent? CaptionerVision => Get(BundleComponentKind.CaptionerVision);

    /// <summary>The captioner's text decoder, or null.</summary>
    public BundleComponent? CaptionerDecoder => Get(BundleComponentKind.CaptionerDecoder);

    /// <summary>The diffusion prior, or null.</summary>
    public BundleComponent? Prior => Get(BundleComponentKind.Prior);

    /// <summary>The voxel encoders <c>fmri_decoder.json</c> lists, in its order.</summary>
    public IReadOnlyList<VoxelEncoderComponent> VoxelEncoders { get; private set; }

    /// <summary>Format 2: the subjects' ONNX adapters (<c>subjects.&lt;id&gt;.adapter.file</c>), keyed by subject id.</summary>
    public IReadOnlyDictionary<string, BundleComponent> SubjectAdapters { get; private set; }

    /// <summary>Opens and checks a bundle folder.</summary>
    /// <param name="path">The bundle folder.</param>
    /// <param name="options">How to open it, or null for the defaults (eager sessions, checksums verified).</param>
    /// <returns>The bundle; the caller disposes it.</returns>
    /// <exception cref="BundleFormatException">A bundle file is malformed (not UTF-8, not JSON, a field missing, null or of the wrong type), a path leaves the folder or names a folder, or a file cannot be read.</exception>
    /// <exception cref="BundleIntegrityException">A file's sha256 differs from the manifest's, or a file of the bundle is not listed in the manifest (checksums verified).</exception>
    /// <exception cref="BundleComponentMissingException">A file the manifest names is missing.</exception>
    /// <exception cref="BundleContractException">Graphs do not fit their contracts (eager opening); lists every mismatch.</exception>
    /// <exception cref="OrtException">ONNX Runtime could not load a graph.</exception>
    public static ModelBundle Open(string path, ModelBundleOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new ModelBundleOptions();
        string root;
        try
        {
            root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException)
        {
            throw new BundleFormatException(path, $"not a usable folder path: {e.Message}", e);
        }

        if (!Directory.Exists(root))
        {
            throw new BundleFormatException(root, "no such bundle folder.");
        }

        var indexPath = Path.Combine(root, ModelIndexFileName);
        if (!File.Exists(indexPath))
        {
            throw new BundleFormatException(indexPath, $"missing: every bundle has a {ModelIndexFileName} (the diffusers layout) listing its components.");
        }

        // The manifest is read first: it vouches for every other file, model_index.json included, which is parsed
        // only once its checksum holds.
        var manifestPath = Path.Combine(root, DecoderManifestFileName);
        var decoder = File.Exists(manifestPath) ? ReadManifest(BundlePaths.Resolve(root, DecoderManifestFileName, root)) : null;

        var bundle = new ModelBundle(root, decoder, options);
        try
        {
            if (decoder is not null)
            {
                bundle.CheckManifestPaths(manifestPath);
                if (options.VerifyChecksums)
                {
                    bundle._files.Verify(decoder, manifestPath);
                }
            }

            bundle.ModelIndexComponents = ReadModelIndex(bundle.ReadJson(ModelIndexFileName));
            bundle.DiscoverComponents(manifestPath);
            if (options.OpenSessionsEagerly)
            {
                bundle.Validate();
            }

            return bundle;
        }
        catch
        {
            bundle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens every session not yet open and checks every contract, alone and across components (latent channels and
    /// size, token width, voxel counts, vocabulary size).
    /// </summary>
    /// <exception cref="BundleContractException">Lists every mismatch found.</exception>
    public void Validate()
    {
        var checker = new BundleContractChecker();
        foreach (var component in AllComponents())
        {
            checker.CheckComponent(component, component.Session, Decoder);
        }

        checker.CheckAcross(this);
        if (checker.Problems.Count > 0)
        {
            throw new BundleContractException(RootPath, checker.Problems);
        }
    }

    /// <summary>
    /// The full path of a file named relative to the bundle folder; refuses paths that leave the folder.
    /// </summary>
    /// <param name="relativePath">A path relative to the bundle folder.</param>
    /// <returns>The full path (the file need not exist).</returns>
    /// <exception cref="BundleFormatException">The path is absolute or leaves the folder.</exception>
    public string ResolvePath(string relativePath) => BundlePaths.Resolve(RootPath, relativePath, RootPath);

    /// <summary>
    /// The content of a bundle file, read through the bundle's checks: the path stays inside the folder, names a file
    /// (not a folder) of at most <see cref="BundleJson.MaxConfigBytes"/>, and — when checksums are verified — the
    /// bytes read are the ones the manifest's sha256 vouches for (hashed again here, so a file changed after
    /// <see cref="Open"/> is caught too).
    /// </summary>
    /// <exception cref="BundleComponentMissingException">The file does not exist.</exception>
    /// <exception cref="BundleFormatException">The path leaves the folder or names a folder, the file is too large, or it cannot be read.</exception>
    /// <exception cref="BundleIntegrityException">The bytes differ from the manifest's sha256, or the manifest does not list the file.</exception>
    internal byte[] ReadFile(string relativePath) => _files.Read(relativePath);

    /// <summary>A bundle JSON file (read by <see cref="ReadFile"/>) parsed as an object.</summary>
    /// <exception cref="BundleFormatException">Not UTF-8, not JSON, not an object (file and offset named), or as for <see cref="ReadFile"/>.</exception>
    internal JsonElement ReadJson(string relativePath) => BundleJson.ParseObject(ReadFile(relativePath), Path.Combine(RootPath, relativePath));

    /// <summary>A bundle text file (read by <see cref="ReadFile"/>) decoded as UTF-8.</summary>
    /// <exception cref="BundleFormatException">Not UTF-8 (offset named), or as for <see cref="ReadFile"/>.</exception>
    internal string ReadText(string relativePath) => BundleJson.DecodeUtf8(ReadFile(relativePath), Path.Combine(RootPath, relativePath));

    /// <summary>Whether the bundle has a file (not a folder) at <paramref name="relativePath"/>; the path must stay inside the folder.</summary>
    internal bool HasFile(string relativePath) => File.Exists(ResolvePath(relativePath));

    /// <summary>Disposes every open session. Idempotent.</summary>
    public void Dispose()
    {
        foreach (var component in AllComponents())
        {
            component.DisposeSession();
        }

        foreach (var shared in _encoderSessions.Values.Where(s => s.IsValueCreated))
        {
            shared.Value.Dispose();
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"ModelBundle '{RootPath}'" + (Decoder is null ? " (diffusion only)"
        : Decoder.IsShared ? $" (shared: {string.Join(", ", Decoder.Subjects.Keys)})" : $" ({Decoder.Subject}, {Decoder.VoxelCount} voxels)");

    /// <summary>The standard component of <paramref name="kind"/>, or null when the bundle has none.</summary>
    internal BundleComponent? Get(BundleComponentKind kind) => _components.GetValueOrDefault(kind);

    private IEnumerable<BundleComponent> AllComponents() => _components.Values.Concat(VoxelEncoders.Select(v => v.Component)).Concat(SubjectAdapters.Values);

    private static IReadOnlyDictionary<string, string> ReadModelIndex(JsonElement root)
    {
        var index = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            // diffusers lists components as "name": [library, class]; keys starting with '_' are metadata.
            if (property.Name.StartsWith('_') || property.Value.ValueKind != JsonValueKind.Array || property.Value.GetArrayLength() != 2)
            {
                continue;
            }

            var library = property.Value[0].ValueKind == JsonValueKind.String ? property.Value[0].GetString() : null;
            var type = property.Value[1].ValueKind == JsonValueKind.String ? property.Value[1].GetString() : null;
            if (library is not null && type is not null)
            {
                index[property.Name] = $"{library}.{type}";
            }
        }

        return index;
    }

    private static DecoderManifest ReadManifest(string path)
    {
        var manifest = BundleJson.Deserialize<DecoderManifest>(BundleFiles.ReadSmall(path), path, ManifestJson);
        CheckNoNulls(manifest, path);
        if (manifest.FormatVersion is not (1 or 2))
        {
            throw new BundleFormatException(path, $"format_version is {manifest.FormatVersion}; this library reads format_version 1 (one subject) and 2 (shared-subject).");
        }

        if (manifest.IsShared)
        {
            SharedManifest.Check(manifest, path);
        }
        else
        {
            if (manifest.Subject is null)
            {
                throw new BundleFormatException(path, "subject is missing; a format_version 1 manifest names the subject its encoders were trained on (e.g. \"subj01\").");
            }

            if (manifest.VoxelCount is not { } count)
            {
                throw new BundleFormatException(path, "voxel_count is missing; a format_version 1 manifest states the subject's voxel count.");
            }

            if (count <= 0)
            {
                throw new BundleFormatException(path, $"voxel_count is {count}; it must be positive.");
            }

            SharedManifest.RefuseV2Fields(manifest, path);
        }

        foreach (var (kind, value) in manifest.Unconditional)
        {
            if (!DecoderManifest.SupportedUnconditional.TryGetValue(kind, out var supported))
            {
                throw new BundleFormatException(path, $"unconditional.{kind} is not a conditioning kind this library builds; the kinds are {string.Join(", ", DecoderManifest.SupportedUnconditional.Keys)}.");
            }

            if (!supported.Contains(value))
            {
                throw new BundleFormatException(path, $"unconditional.{kind} is \"{value}\"; this library builds only {string.Join(" or ", supported.Select(v => $"\"{v}\""))} for it, so guidance would use an input the UNet was not trained on.");
            }
        }

        var duplicate = manifest.VoxelEncoders.GroupBy(e => e.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new BundleFormatException(path, $"voxel encoder name '{duplicate.Key}' is used {duplicate.Count()} times; names must be unique.");
        }

        foreach (var entry in manifest.VoxelEncoders)
        {
            if (entry.Input is VoxelEncoderInput.RoiSubset or VoxelEncoderInput.RoiZeroFilled && (entry.RoiSet is null || !manifest.Masks.RoiSets.ContainsKey(entry.RoiSet)))
            {
                throw new BundleFormatException(path, $"voxel encoder '{entry.Name}' reads an ROI set but its roi_set '{entry.RoiSet}' is not one of masks.roi_sets ({string.Join(", ", manifest.Masks.RoiSets.Keys)}).");
            }

            if (entry.Input == VoxelEncoderInput.RoiSubset && entry.VoxelCount is null)
            {
                throw new BundleFormatException(path, $"voxel encoder '{entry.Name}' reads an ROI subset and must state its voxel_count.");
            }

            // Nsdgeneral and zero-filled encoders are fed the whole vector, so their input length is the top-level count
            // (format 2: the shared-space width, checked with the rest of format 2).
            if (!manifest.IsShared && entry.Input != VoxelEncoderInput.RoiSubset && entry.VoxelCount is { } stated && stated != manifest.VoxelCount)
            {
                throw new BundleFormatException(path, $"voxel encoder '{entry.Name}' reads the full vector (input {JsonNamingPolicy.SnakeCaseLower.ConvertName(entry.Input.ToString())}) so its voxel_count must be the manifest's voxel_count {manifest.VoxelCount}; it is {stated}.");
            }
        }

        return manifest;
    }

    /// <summary>
    /// Refuses nulls inside the manifest's collections (the serializer checks only properties) and sha256 values that
    /// are not 64 hex digits, naming the JSON path.
    /// </summary>
    private static void CheckNoNulls(DecoderManifest manifest, string path)
    {
        foreach (var (file, sha256) in manifest.Files)
        {
            if (sha256 is null || sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigit))
            {
                throw new BundleFormatException(path, $"files[\"{file}\"] is {(sha256 is null ? "null" : $"\"{sha256}\"")}; a sha256 (64 hex digits) is expected.");
            }
        }

        for (var i = 0; i < manifest.VoxelEncoders.Count; i++)
        {
            if (manifest.VoxelEncoders[i] is null)
            {
                throw new BundleFormatException(path, $"voxel_encoders[{i}] is null; an encoder object (name, file, role) is expected.");
            }
        }

        foreach (var (name, file) in manifest.Masks.RoiSets)
        {
            if (file is null)
            {
                throw new BundleFormatException(path, $"masks.roi_sets.{name} is null; a path to the set's index file is expected.");
            }
        }

        foreach (var (name, defaults) in manifest.Pipelines)
        {
            if (defaults is null)
            {
                throw new BundleFormatException(path, $"pipelines.{name} is null; an object of defaults is expected.");
            }
        }

        foreach (var (kind, value) in manifest.Unconditional)
        {
            if (value is null)
            {
                throw new BundleFormatException(path, $"unconditional.{kind} is null; a string is expected.");
            }
        }
    }

    /// <summary>
    /// Every path the manifest names stays inside the folder; the voxel encoders and masks it names exist and are
    /// files (a folder is refused), so no pipeline meets a missing or unreadable one later.
    /// </summary>
    private void CheckManifestPaths(string manifestPath)
    {
        var manifest = Decoder!;
        foreach (var relative in manifest.Files.Keys)
        {
            BundlePaths.Resolve(RootPath, relative, manifestPath);
        }

        var named = manifest.VoxelEncoders.Select(e => (Path: e.File, What: $"voxel encoder '{e.Name}'"))
            .Concat(manifest.Masks.RoiSets.Select(r => (Path: r.Value, What: $"masks.roi_sets.{r.Key}")));
        if (manifest.Masks.Nsdgeneral is { } nsdgeneral)
        {
            named = named.Append((nsdgeneral, "masks.nsdgeneral"));
        }

        named = named.Concat(manifest.Subjects.SelectMany(s => SharedManifest.Files(s.Key, s.Value).Select(f => (f.Path, What: f.Field))));
        if (manifest.SharedSpace is { Targets: { } targets, ImageIds: { } ids })
        {
            named = named.Append((targets, "shared_space.targets")).Append((ids, "shared_space.image_ids"));
        }

        foreach (var (relative, what) in named)
        {
            var full = BundlePaths.Resolve(RootPath, relative, manifestPath);
            if (Directory.Exists(full))
            {
                throw new BundleFormatException(manifestPath, $"{what} names '{relative}', which is a folder; a file is expected.");
            }

            if (!File.Exists(full))
            {
                throw new BundleComponentMissingException(RootPath, relative, PipelinesNeeding(relative));
            }
        }
    }

    private void DiscoverComponents(string manifestPath)
    {
        foreach (var (kind, folder, file) in BundleLayout.StandardComponents)
        {
            var relative = $"{folder}/{file}";
            var full = Path.Combine(RootPath, folder, file);
            if (File.Exists(full))
            {
                BundlePaths.Resolve(RootPath, relative, RootPath);
                var config = $"{folder}/config.json";
                _components[kind] = new BundleComponent(kind, folder, relative, full, HasFile(config) ? ReadJson(config) : null, OpenSession);
            }
        }

        if (Decoder is null)
        {
            return;
        }

        var voxelEncoders = new List<VoxelEncoderComponent>();
        foreach (var entry in Decoder.VoxelEncoders)
        {
            var full = BundlePaths.Resolve(RootPath, entry.File, manifestPath);
            if (!File.Exists(full))
            {
                throw new BundleComponentMissingException(RootPath, entry.File, PipelinesNeeding(entry.File));
            }

            voxelEncoders.Add(new VoxelEncoderComponent(entry, new BundleComponent(BundleComponentKind.VoxelEncoder, entry.Name, entry.File, full, null, OpenSession)));
        }

        VoxelEncoders = voxelEncoders;
        var adapters = new Dictionary<string, BundleComponent>(StringComparer.Ordinal);
        foreach (var (id, subject) in Decoder.Subjects)
        {
            if (subject.Adapter.File is { } file)
            {
                var full = BundlePaths.Resolve(RootPath, file, manifestPath);
                adapters[id] = new BundleComponent(BundleComponentKind.SubjectAdapter, id, file, full, null, OpenSession);
            }
        }

        SubjectAdapters = adapters;
    }

    private GraphSession OpenSession(BundleComponent component)
    {
        // Voxel encoders naming one file share one session (the bundle disposes it); every entry's contract is checked.
        var shared = component.Kind == BundleComponentKind.VoxelEncoder;
        var session = shared
            ? _encoderSessions.GetOrAdd(component.FullPath, path => new Lazy<GraphSession>(() => GraphSession.Open(path, _options.SettingsFor(component.Kind, path), _options.Logger))).Value
            : GraphSession.Open(component.FullPath, _options.SettingsFor(component.Kind, component.FullPath), _options.Logger);
        if (!_options.OpenSessionsEagerly)
        {
            // Lazy opening: the component's own contract is checked as it opens (cross-component checks: Validate()).
            _logger.LogDebug("Opened {Component} on first use", component);
            var checker = new BundleContractChecker();
            try
            {
                checker.CheckComponent(component, session, Decoder);
            }
            catch
            {
                if (!shared)
                {
                    session.Dispose();
                }

                throw;
            }

            if (checker.Problems.Count > 0)
            {
                if (!shared)
                {
                    session.Dispose();
                }

                throw new BundleContractException(RootPath, checker.Problems);
            }
        }

        return session;
    }

    /// <summary>What needs a file, for <see cref="BundleComponentMissingException"/>: whatever the opener said (<see cref="ModelBundleOptions.NeededBy"/>); the bundle itself knows no pipelines.</summary>
    private IReadOnlyList<string> PipelinesNeeding(string relativePath) =>
        _options.NeededBy?.Invoke(relativePath.Replace('\\', '/'), Decoder) ?? [];
}
