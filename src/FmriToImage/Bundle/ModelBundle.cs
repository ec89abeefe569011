using System.Security.Cryptography;
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
public sealed class ModelBundle : IDisposable
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

    private static readonly (BundleComponentKind Kind, string Folder, string File, BundlePipeline[] NeededBy)[] StandardComponents =
    [
        (BundleComponentKind.TextEncoder, "text_encoder", "model.onnx", [BundlePipeline.TextToImage, BundlePipeline.CaptionImg2Img]),
        (BundleComponentKind.ImageEncoder, "image_encoder", "model.onnx", [BundlePipeline.CaptionImg2Img, BundlePipeline.Unclip]),
        (BundleComponentKind.Unet, "unet", "model.onnx", [BundlePipeline.TextToImage, BundlePipeline.CaptionImg2Img, BundlePipeline.Unclip]),
        // No pipeline encodes images to latents (caption → img2img starts from the voxel encoders' latents); the VAE
        // encoder is optional, for callers that wrap it themselves (VaeEncoder.FromBundle).
        (BundleComponentKind.VaeEncoder, "vae_encoder", "model.onnx", []),
        (BundleComponentKind.VaeDecoder, "vae_decoder", "model.onnx", [BundlePipeline.TextToImage, BundlePipeline.CaptionImg2Img, BundlePipeline.Unclip]),
        (BundleComponentKind.CaptionerVision, "captioner", "vision.onnx", [BundlePipeline.CaptionImg2Img]),
        (BundleComponentKind.CaptionerDecoder, "captioner", "decoder.onnx", [BundlePipeline.CaptionImg2Img]),
        (BundleComponentKind.Prior, "prior", "model.onnx", []),
    ];

    private static readonly (string Path, BundlePipeline[] NeededBy)[] StandardFiles =
    [
        (SchedulerConfigPath, [BundlePipeline.TextToImage, BundlePipeline.CaptionImg2Img, BundlePipeline.Unclip]),
        ("tokenizer/vocab.json", [BundlePipeline.TextToImage, BundlePipeline.CaptionImg2Img]),
        ("tokenizer/merges.txt", [BundlePipeline.TextToImage, BundlePipeline.CaptionImg2Img]),
        ("captioner/vocab.txt", [BundlePipeline.CaptionImg2Img]),
    ];

    private readonly Dictionary<BundleComponentKind, BundleComponent> components = [];
    private readonly ModelBundleOptions options;
    private readonly ILogger logger;

    private ModelBundle(string rootPath, IReadOnlyDictionary<string, string> modelIndex, DecoderManifest? decoder, ModelBundleOptions options)
    {
        RootPath = rootPath;
        ModelIndexComponents = modelIndex;
        Decoder = decoder;
        this.options = options;
        logger = options.Logger ?? NullLogger.Instance;
        VoxelEncoders = [];
    }

    /// <summary>The bundle folder's full path.</summary>
    public string RootPath { get; }

    /// <summary>The components <c>model_index.json</c> lists, with their "library.Class" (e.g. "diffusers.UNet2DConditionModel").</summary>
    public IReadOnlyDictionary<string, string> ModelIndexComponents { get; }

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

    /// <summary>Opens and checks a bundle folder.</summary>
    /// <param name="path">The bundle folder.</param>
    /// <param name="options">How to open it, or null for the defaults (eager sessions, checksums verified).</param>
    /// <returns>The bundle; the caller disposes it.</returns>
    /// <exception cref="BundleFormatException">A bundle file is malformed, or a path leaves the folder.</exception>
    /// <exception cref="BundleIntegrityException">A file's sha256 differs from the manifest's.</exception>
    /// <exception cref="BundleComponentMissingException">A file the manifest names is missing.</exception>
    /// <exception cref="BundleContractException">Graphs do not fit their contracts (eager opening); lists every mismatch.</exception>
    /// <exception cref="OrtException">ONNX Runtime could not load a graph.</exception>
    public static ModelBundle Open(string path, ModelBundleOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        options ??= new ModelBundleOptions();
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (!Directory.Exists(root))
        {
            throw new BundleFormatException(root, "no such bundle folder.");
        }

        var indexPath = Path.Combine(root, ModelIndexFileName);
        if (!File.Exists(indexPath))
        {
            throw new BundleFormatException(indexPath, $"missing: every bundle has a {ModelIndexFileName} (the diffusers layout) listing its components.");
        }

        var modelIndex = ReadModelIndex(indexPath);
        var manifestPath = Path.Combine(root, DecoderManifestFileName);
        var decoder = File.Exists(manifestPath) ? ReadManifest(manifestPath) : null;

        var bundle = new ModelBundle(root, modelIndex, decoder, options);
        try
        {
            if (decoder is not null)
            {
                bundle.CheckManifestPaths(manifestPath);
                if (options.VerifyChecksums)
                {
                    bundle.VerifyChecksums(manifestPath);
                }
            }

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

    /// <summary>The files <paramref name="pipeline"/> needs that the bundle lacks (relative paths); empty when it can run.</summary>
    /// <param name="pipeline">The pipeline.</param>
    /// <returns>The missing files.</returns>
    public IReadOnlyList<string> MissingFor(BundlePipeline pipeline)
    {
        var missing = new List<string>();
        foreach (var (kind, folder, file, neededBy) in StandardComponents)
        {
            if (neededBy.Contains(pipeline) && Get(kind) is null)
            {
                missing.Add($"{folder}/{file}");
            }
        }

        foreach (var (file, neededBy) in StandardFiles)
        {
            if (neededBy.Contains(pipeline) && !File.Exists(Path.Combine(RootPath, file)))
            {
                missing.Add(file);
            }
        }

        var role = pipeline switch
        {
            BundlePipeline.CaptionImg2Img => VoxelEncoderRole.VaeLatent,
            BundlePipeline.Unclip => VoxelEncoderRole.ImageTokens,
            _ => (VoxelEncoderRole?)null,
        };
        if (role is { } needed && !VoxelEncoders.Any(v => v.Entry.Role == needed))
        {
            missing.Add($"{DecoderManifestFileName}: a voxel encoder with role '{JsonNamingPolicy.SnakeCaseLower.ConvertName(needed.ToString())}'");
        }

        return missing;
    }

    /// <summary>Throws unless the bundle has everything <paramref name="pipeline"/> needs.</summary>
    /// <param name="pipeline">The pipeline.</param>
    /// <exception cref="BundleComponentMissingException">A needed file is missing; names it and every pipeline that needs it.</exception>
    public void Require(BundlePipeline pipeline)
    {
        var missing = MissingFor(pipeline);
        if (missing.Count > 0)
        {
            throw new BundleComponentMissingException(RootPath, missing[0], PipelinesNeeding(missing[0]));
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

    /// <summary>Disposes every open session. Idempotent.</summary>
    public void Dispose()
    {
        foreach (var component in AllComponents())
        {
            component.DisposeSession();
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"ModelBundle '{RootPath}'" + (Decoder is null ? " (diffusion only)" : $" ({Decoder.Subject}, {Decoder.VoxelCount} voxels)");

    private BundleComponent? Get(BundleComponentKind kind) => components.GetValueOrDefault(kind);

    private IEnumerable<BundleComponent> AllComponents() => components.Values.Concat(VoxelEncoders.Select(v => v.Component));

    private static IReadOnlyDictionary<string, string> ReadModelIndex(string path)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new BundleFormatException(path, $"the top level must be a JSON object, not {document.RootElement.ValueKind}.");
            }

            var index = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
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
        catch (JsonException e)
        {
            throw new BundleFormatException(path, $"not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine}): {e.Message}", e);
        }
    }

    private static DecoderManifest ReadManifest(string path)
    {
        DecoderManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<DecoderManifest>(File.ReadAllBytes(path), ManifestJson);
        }
        catch (JsonException e)
        {
            throw new BundleFormatException(path, $"not a valid decoder manifest at {e.Path ?? "$"} (line {e.LineNumber + 1}): {e.Message}", e);
        }

        if (manifest is null)
        {
            throw new BundleFormatException(path, "the file holds JSON null; a decoder manifest object is expected.");
        }

        if (manifest.FormatVersion != 1)
        {
            throw new BundleFormatException(path, $"format_version is {manifest.FormatVersion}; this library reads format_version 1.");
        }

        if (manifest.VoxelCount <= 0)
        {
            throw new BundleFormatException(path, $"voxel_count is {manifest.VoxelCount}; it must be positive.");
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
            if (entry.Input != VoxelEncoderInput.Nsdgeneral && (entry.RoiSet is null || !manifest.Masks.RoiSets.ContainsKey(entry.RoiSet)))
            {
                throw new BundleFormatException(path, $"voxel encoder '{entry.Name}' reads an ROI set but its roi_set '{entry.RoiSet}' is not one of masks.roi_sets ({string.Join(", ", manifest.Masks.RoiSets.Keys)}).");
            }

            if (entry.Input == VoxelEncoderInput.RoiSubset && entry.VoxelCount is null)
            {
                throw new BundleFormatException(path, $"voxel encoder '{entry.Name}' reads an ROI subset and must state its voxel_count.");
            }

            // Nsdgeneral and zero-filled encoders are fed the whole vector, so their input length is the top-level count.
            if (entry.Input != VoxelEncoderInput.RoiSubset && entry.VoxelCount is { } stated && stated != manifest.VoxelCount)
            {
                throw new BundleFormatException(path, $"voxel encoder '{entry.Name}' reads the full vector (input {JsonNamingPolicy.SnakeCaseLower.ConvertName(entry.Input.ToString())}) so its voxel_count must be the manifest's voxel_count {manifest.VoxelCount}; it is {stated}.");
            }
        }

        return manifest;
    }

    private void CheckManifestPaths(string manifestPath)
    {
        var manifest = Decoder!;
        var named = manifest.Files.Keys
            .Concat(manifest.VoxelEncoders.Select(e => e.File))
            .Concat(manifest.Masks.RoiSets.Values);
        if (manifest.Masks.Nsdgeneral is { } nsdgeneral)
        {
            named = named.Append(nsdgeneral);
        }

        foreach (var relative in named)
        {
            BundlePaths.Resolve(RootPath, relative, manifestPath);
        }
    }

    private void VerifyChecksums(string manifestPath)
    {
        foreach (var (relative, expected) in Decoder!.Files)
        {
            var full = BundlePaths.Resolve(RootPath, relative, manifestPath);
            if (!File.Exists(full))
            {
                throw new BundleComponentMissingException(RootPath, relative, PipelinesNeeding(relative));
            }

            string actual;
            using (var stream = File.OpenRead(full))
            {
                actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            }

            if (!string.Equals(actual, expected, StringComparison.OrdinalIgnoreCase))
            {
                throw new BundleIntegrityException(full, expected.ToLowerInvariant(), actual);
            }
        }
    }

    private void DiscoverComponents(string manifestPath)
    {
        foreach (var (kind, folder, file, _) in StandardComponents)
        {
            var relative = $"{folder}/{file}";
            var full = Path.Combine(RootPath, folder, file);
            if (File.Exists(full))
            {
                BundlePaths.Resolve(RootPath, relative, RootPath);
                components[kind] = new BundleComponent(kind, folder, relative, full, ReadConfig(Path.Combine(RootPath, folder, "config.json")), OpenSession);
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
    }

    private GraphSession OpenSession(BundleComponent component)
    {
        var session = GraphSession.Open(component.FullPath, options.SettingsFor(component.Kind), options.Logger);
        if (!options.OpenSessionsEagerly)
        {
            // Lazy opening: the component's own contract is checked as it opens (cross-component checks: Validate()).
            logger.LogDebug("Opened {Component} on first use", component);
            var checker = new BundleContractChecker();
            try
            {
                checker.CheckComponent(component, session, Decoder);
            }
            catch
            {
                session.Dispose();
                throw;
            }

            if (checker.Problems.Count > 0)
            {
                session.Dispose();
                throw new BundleContractException(RootPath, checker.Problems);
            }
        }

        return session;
    }

    private static JsonElement? ReadConfig(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new BundleFormatException(path, $"not valid JSON (line {e.LineNumber + 1}): {e.Message}", e);
        }
    }

    private IReadOnlyList<string> PipelinesNeeding(string relativePath)
    {
        var normalized = relativePath.Replace('\\', '/');
        foreach (var (_, folder, file, neededBy) in StandardComponents)
        {
            if (normalized == $"{folder}/{file}")
            {
                return neededBy.Select(p => p.ToString()).ToArray();
            }
        }

        foreach (var (file, neededBy) in StandardFiles)
        {
            if (normalized == file)
            {
                return neededBy.Select(p => p.ToString()).ToArray();
            }
        }

        if (Decoder?.VoxelEncoders.FirstOrDefault(e => e.File.Replace('\\', '/') == normalized) is { } entry)
        {
            return [entry.Role == VoxelEncoderRole.VaeLatent ? nameof(BundlePipeline.CaptionImg2Img) : nameof(BundlePipeline.Unclip)];
        }

        return [];
    }
}
