using System.Text.Json;
using FmriToImage.Bundle;
using FmriToImage.Data.Npy;
using FmriToImage.Diffusion;
using FmriToImage.Imaging;
using FmriToImage.Models;
using FmriToImage.Text;

namespace FmriToImage.Pipelines;

/// <summary>
/// Builds each network wrapper of <c>Models/</c> from a bundle: reads the configs, tokenizers, preprocessing and ROI
/// sets the wrapper needs and hands it a session plus those values (the wrappers know no bundle). A missing file is a
/// <see cref="BundleComponentMissingException"/> naming the pipelines that need it, read from the decoder's
/// <see cref="PipelineTable"/> (each method's <c>table</c>; <see cref="PipelineTable.Default"/> when none is given).
/// </summary>
internal static class ModelLoader
{
    /// <summary>
    /// The bundle's VAE decoder with the scaling factor, latent channels and downsampling factor its config and graph
    /// declare: channels from the graph's fixed <c>latent_sample</c> channels or the config's <c>latent_channels</c>;
    /// the factor from <c>block_out_channels</c> (2^(blocks − 1)) or the ratio of the VAE's and the UNet's
    /// <c>sample_size</c>.
    /// </summary>
    /// <exception cref="BundleComponentMissingException">The bundle has no VAE decoder.</exception>
    /// <exception cref="BundleContractException">The config does not give the scaling factor, channels or downsampling factor.</exception>
    public static VaeDecoder VaeDecoder(ModelBundle bundle, PipelineTable? table = null)
    {
        var vae = Require(bundle, BundleComponentKind.VaeDecoder, table);
        var problems = new List<string>();
        var scaling = vae.ConfigNumber("scaling_factor");
        if (scaling is null)
        {
            problems.Add($"{vae.RelativePath}: config.json has no numeric 'scaling_factor'.");
        }

        var input = vae.Session.Inputs.FirstOrDefault(i => i.Name == "latent_sample");
        var channels = input is { Rank: 4 } && input.Dimensions[1] > 0 ? (int)input.Dimensions[1] : (int?)vae.ConfigNumber("latent_channels");
        if (channels is null)
        {
            problems.Add($"{vae.RelativePath}: neither the graph (input 'latent_sample') nor config.json ('latent_channels') gives the latent channel count.");
        }

        var factor = DownsamplingFactorOf(vae, bundle.Unet);
        if (factor is null)
        {
            problems.Add($"{vae.RelativePath}: config.json gives no 'block_out_channels', and the VAE's and the UNet's 'sample_size' do not give the downsampling factor.");
        }

        if (problems.Count > 0)
        {
            throw new BundleContractException(bundle.RootPath, problems);
        }

        return new VaeDecoder(vae.Session, scaling!.Value, channels!.Value, factor!.Value);
    }

    /// <summary>The bundle's VAE encoder with the scaling factor from the VAE config (the encoder's, else the decoder's).</summary>
    /// <exception cref="BundleComponentMissingException">The bundle has no VAE encoder.</exception>
    /// <exception cref="BundleContractException">No config of the VAE gives the scaling factor.</exception>
    public static VaeEncoder VaeEncoder(ModelBundle bundle, PipelineTable? table = null)
    {
        var encoder = Require(bundle, BundleComponentKind.VaeEncoder, table);
        var scaling = encoder.ConfigNumber("scaling_factor") ?? bundle.VaeDecoder?.ConfigNumber("scaling_factor")
            ?? throw new BundleContractException(bundle.RootPath, [$"{encoder.RelativePath}: neither vae_encoder/config.json nor vae_decoder/config.json has a numeric 'scaling_factor'."]);
        return new VaeEncoder(encoder.Session, scaling);
    }

    /// <summary>
    /// The bundle's UNet for images of <paramref name="imageHeight"/>×<paramref name="imageWidth"/> pixels, with the
    /// latent channels and downsampling factor the bundle's VAE declares.
    /// </summary>
    /// <exception cref="BundleComponentMissingException">The bundle has no UNet or no VAE decoder.</exception>
    /// <exception cref="ArgumentException">The image size is not a multiple of the VAE's downsampling factor.</exception>
    public static UNet UNet(ModelBundle bundle, int imageHeight, int imageWidth, PipelineTable? table = null)
    {
        var unet = Require(bundle, BundleComponentKind.Unet, table);
        var vae = VaeDecoder(bundle, table);
        var factor = vae.DownsamplingFactor;
        if (imageHeight % factor != 0 || imageWidth % factor != 0)
        {
            throw new ArgumentException($"The image size {imageWidth}×{imageHeight} is not a multiple of the VAE's downsampling factor {factor}.", nameof(imageHeight));
        }

        return new UNet(unet.Session, vae.LatentChannels, imageHeight / factor, imageWidth / factor, (int?)unet.ConfigNumber("cross_attention_dim"), unet.Config);
    }

    /// <summary>
    /// The bundle's text encoder with the tokenizer in <c>tokenizer/</c>; the context length comes from the tokenizer's
    /// files, else the text encoder config's <c>max_position_embeddings</c>, else 77.
    /// </summary>
    /// <exception cref="BundleComponentMissingException">The bundle has no text encoder.</exception>
    /// <exception cref="TokenizerFileException">The tokenizer files are missing or malformed.</exception>
    public static ClipTextEncoder TextEncoder(ModelBundle bundle, PipelineTable? table = null)
    {
        var encoder = Require(bundle, BundleComponentKind.TextEncoder, table);
        var folder = bundle.ResolvePath("tokenizer");
        var fromFiles = ClipTokenizer.Load(folder);
        var maxPositions = (int?)encoder.ConfigNumber("max_position_embeddings");
        var tokenizer = maxPositions is { } positions && positions < fromFiles.ContextLength ? ClipTokenizer.Load(folder, positions) : fromFiles;
        return new ClipTextEncoder(encoder.Session, tokenizer);
    }

    /// <summary>The bundle's image encoder with <c>image_encoder/preprocessor_config.json</c>.</summary>
    /// <exception cref="BundleComponentMissingException">The bundle has no image encoder or no preprocessor config for it.</exception>
    public static ClipImageEncoder ImageEncoder(ModelBundle bundle, PipelineTable? table = null)
    {
        var encoder = Require(bundle, BundleComponentKind.ImageEncoder, table);
        return new ClipImageEncoder(encoder.Session, Preprocessor(bundle, BundleLayout.ImageEncoderPreprocessor, table));
    }

    /// <summary>The bundle's captioner: both graphs, <c>captioner/vocab.txt</c>, its preprocessing and the token ids of <c>captioner/config.json</c>.</summary>
    /// <exception cref="BundleComponentMissingException">A graph or the preprocessor config is missing.</exception>
    /// <exception cref="BundleContractException">The config lacks <c>bos_token_id</c> or <c>eos_token_id</c>.</exception>
    public static Captioner Captioner(ModelBundle bundle, PipelineTable? table = null)
    {
        var vision = Require(bundle, BundleComponentKind.CaptionerVision, table);
        var decoder = Require(bundle, BundleComponentKind.CaptionerDecoder, table);
        var start = decoder.ConfigNumber("bos_token_id");
        var end = decoder.ConfigNumber("eos_token_id");
        if (start is null || end is null)
        {
            throw new BundleContractException(bundle.RootPath, [$"captioner/config.json: needs numeric 'bos_token_id' and 'eos_token_id' (the id that ends a caption); found {(start is null ? "no bos_token_id" : "bos_token_id")}, {(end is null ? "no eos_token_id" : "eos_token_id")}."]);
        }

        var tokenizer = WordPieceTokenizer.Load(bundle.ResolvePath("captioner"));
        var preprocessor = Preprocessor(bundle, BundleLayout.CaptionerPreprocessor, table);
        var converter = TokenConverter(bundle, decoder);
        return new Captioner(vision.Session, decoder.Session, tokenizer, preprocessor, (int)start.Value, (int)end.Value, (int)(decoder.ConfigNumber("max_length") ?? 20), converter?.Session);
    }

    /// <summary>
    /// The captioner's token converter when <c>captioner/config.json</c> <c>vision_source</c> is "image_tokens", else
    /// null (<c>vision_source</c> "pixels", the default). The choice is the config's alone: "image_tokens" without the
    /// graph, a graph the config does not choose, or another value are refused.
    /// </summary>
    /// <exception cref="BundleContractException">The config and the files disagree, or the value is unknown.</exception>
    private static BundleComponent? TokenConverter(ModelBundle bundle, BundleComponent decoder)
    {
        var path = BundleLayout.PathOf(BundleComponentKind.CaptionerTokenConverter);
        var converter = bundle.Get(BundleComponentKind.CaptionerTokenConverter);
        var source = decoder.Config is { ValueKind: JsonValueKind.Object } config && config.TryGetProperty("vision_source", out var value) ? value : (JsonElement?)null;
        var text = source is { ValueKind: JsonValueKind.String } s ? s.GetString() : source is null ? "pixels" : null;
        var problem = text switch
        {
            "image_tokens" when converter is null => $"captioner/config.json: vision_source is \"image_tokens\", which needs {path}; the bundle has none.",
            "pixels" when converter is not null => $"captioner/config.json: vision_source is \"pixels\"{(source is null ? " (by default)" : string.Empty)} but the bundle has {path}; set vision_source to \"image_tokens\" to caption predicted image tokens, or remove the graph.",
            "image_tokens" or "pixels" => null,
            _ => $"captioner/config.json: vision_source is {source?.GetRawText()}; expected \"pixels\" (captions from images, captioner/vision.onnx) or \"image_tokens\" (from predicted image tokens, {path}).",
        };
        if (problem is null && converter is not null)
        {
            // The converter's output is the decoder's vision input: the dimensions both fix must agree.
            var produced = converter.Session.Outputs.First(o => o.Name == "image_embeds");
            var taken = decoder.Session.Inputs.First(i => i.Name == "image_embeds");
            for (var axis = 1; axis < 3; axis++)
            {
                if (produced.Dimensions[axis] > 0 && taken.Dimensions[axis] > 0 && produced.Dimensions[axis] != taken.Dimensions[axis])
                {
                    problem = $"{path}: output 'image_embeds' is {produced.ShapeText} but captioner/decoder.onnx takes 'image_embeds' {taken.ShapeText}; axis {axis} must agree.";
                }
            }
        }

        return problem is null ? converter : throw new BundleContractException(bundle.RootPath, [problem]);
    }

    /// <summary>
    /// The bundle's prior (<c>prior/model.onnx</c>) with its scheduler (<c>prior/scheduler_config.json</c>); the token
    /// width comes from the graph, else from the UNet's config (<c>cross_attention_dim</c>), whose conditioning the prior
    /// produces. Dispose it.
    /// </summary>
    /// <exception cref="BundleComponentMissingException">The bundle has no prior or no prior scheduler config.</exception>
    /// <exception cref="SchedulerConfigException">The scheduler config is malformed.</exception>
    public static DiffusionPrior Prior(ModelBundle bundle, PipelineTable? table = null)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var prior = bundle.Prior ?? throw new BundleComponentMissingException(bundle.RootPath, BundleLayout.PathOf(BundleComponentKind.Prior), PriorUsers(table));
        return new DiffusionPrior(prior.Session, PriorSchedulerConfig(bundle, table), (int?)bundle.Unet?.ConfigNumber("cross_attention_dim"));
    }

    /// <summary>Reads <c>prior/scheduler_config.json</c>.</summary>
    /// <exception cref="BundleComponentMissingException">The file is missing.</exception>
    /// <exception cref="BundleFormatException">It is not UTF-8 or not a JSON object (the file and offset named).</exception>
    /// <exception cref="SchedulerConfigException">A key has a value of the wrong type, or num_train_timesteps is above DdimSchedulerConfig.MaxTrainTimesteps.</exception>
    /// <exception cref="NotSupportedException">It names a schedule or prediction type DDIM does not implement.</exception>
    public static DdimSchedulerConfig PriorSchedulerConfig(ModelBundle bundle, PipelineTable? table = null)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        return bundle.HasFile(ModelBundle.PriorSchedulerConfigPath)
            ? DdimSchedulerConfig.FromJson(bundle.ReadJson(ModelBundle.PriorSchedulerConfigPath))
            : throw new BundleComponentMissingException(bundle.RootPath, ModelBundle.PriorSchedulerConfigPath, PriorUsers(table));
    }

    /// <summary>Every voxel encoder of the bundle, in manifest order, with its ROI set loaded (each set read once).</summary>
    /// <exception cref="BundleContractException">An ROI set file is not a 1-D integer array of valid, distinct voxel indices of the stated size.</exception>
    public static IReadOnlyList<VoxelEncoder> VoxelEncoders(ModelBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var manifest = bundle.Decoder;
        if (manifest is null)
        {
            return [];
        }

        var sets = new Dictionary<string, int[]>(StringComparer.Ordinal);
        var encoders = new List<VoxelEncoder>();
        foreach (var encoder in bundle.VoxelEncoders)
        {
            int[]? indices = null;
            if (encoder.Entry.Input is VoxelEncoderInput.RoiSubset or VoxelEncoderInput.RoiZeroFilled)
            {
                var set = encoder.Entry.RoiSet!;
                if (!sets.TryGetValue(set, out indices))
                {
                    indices = ReadRoiSet(bundle, set, manifest.Masks.RoiSets[set], manifest.EncoderInputWidth);
                    sets[set] = indices;
                }

                if (encoder.Entry.Input == VoxelEncoderInput.RoiSubset && encoder.Entry.VoxelCount != indices.Length)
                {
                    throw new BundleContractException(bundle.RootPath, [$"voxel encoder '{encoder.Entry.Name}' states voxel_count {encoder.Entry.VoxelCount} but ROI set '{set}' ({manifest.Masks.RoiSets[set]}) has {indices.Length} voxels."]);
                }
            }

            encoders.Add(new VoxelEncoder(encoder.Entry, encoder.Component.Session, manifest.EncoderInputWidth, indices));
        }

        return encoders;
    }

    /// <summary>
    /// Format 2: every subject's mapping into the shared space (standardization + adapter), keyed by id in manifest
    /// order; empty for format 1. The arrays are read and checked here (<see cref="SharedSpaceContract"/>), the ONNX
    /// adapters' sessions opened (their contract checked by the bundle).
    /// </summary>
    /// <exception cref="BundleContractException">An array has the wrong type, shape or values (every problem listed).</exception>
    /// <exception cref="BundleFormatException">An array file is not a readable .npy.</exception>
    public static IReadOnlyDictionary<string, SubjectMapping> SubjectMappings(ModelBundle bundle) => SubjectMappings(bundle, out _);

    /// <summary>As <see cref="SubjectMappings(ModelBundle)"/>, also giving the shared space's targets (M × H) and image ids, or null when the manifest names none.</summary>
    /// <exception cref="BundleContractException">An array has the wrong type, shape or values (every problem listed).</exception>
    /// <exception cref="BundleFormatException">An array file is not a readable .npy.</exception>
    public static IReadOnlyDictionary<string, SubjectMapping> SubjectMappings(ModelBundle bundle, out (float[] Targets, long[] ImageIds)? sharedSpace)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        sharedSpace = null;
        var mappings = new Dictionary<string, SubjectMapping>(StringComparer.Ordinal);
        if (bundle.Decoder is not { IsShared: true } manifest)
        {
            return mappings;
        }

        var problems = new List<string>();
        var width = manifest.SharedSpace!.Width;
        foreach (var (id, subject) in manifest.Subjects)
        {
            var v = subject.VoxelCount;
            float[]? mean = null, std = null;
            if (subject.Standardization is { } z)
            {
                mean = SharedSpaceContract.ReadFloats(bundle, z.Mean, $"subjects.{id}.standardization.mean", [v], problems);
                std = SharedSpaceContract.ReadFloats(bundle, z.Std, $"subjects.{id}.standardization.std", [v], problems);
                if (std is not null && Array.FindIndex(std, s => s <= 0f) is var zero and >= 0)
                {
                    problems.Add($"{z.Std} (subjects.{id}.standardization.std): value {zero} is {std[zero]}; every std is > 0.");
                }
            }

            if (bundle.SubjectAdapters.TryGetValue(id, out var graph))
            {
                mappings[id] = SubjectMapping.Graph(id, v, width, mean, std, graph.Session);
                continue;
            }

            var weight = SharedSpaceContract.ReadFloats(bundle, subject.Adapter.Weight!, $"subjects.{id}.adapter.weight", [v, width], problems);
            var bias = SharedSpaceContract.ReadFloats(bundle, subject.Adapter.Bias!, $"subjects.{id}.adapter.bias", [width], problems);
            if (weight is not null && bias is not null)
            {
                mappings[id] = SubjectMapping.Linear(id, v, width, mean, std, weight, bias);
            }
        }

        if (manifest.SharedSpace is { Targets: { } targets, ImageIds: { } ids }
            && SharedSpaceContract.RowCount(bundle, targets, "shared_space.targets", problems) is { } rows)
        {
            var values = SharedSpaceContract.ReadFloats(bundle, targets, "shared_space.targets", [rows, width], problems);
            var imageIds = SharedSpaceContract.ReadImageIds(bundle, ids, "shared_space.image_ids", rows, problems);
            sharedSpace = values is null || imageIds is null ? null : (values, imageIds);
        }

        if (problems.Count > 0)
        {
            throw new BundleContractException(bundle.RootPath, problems);
        }

        return mappings;
    }

    /// <summary>Who needs the prior, for its missing-file message: the table's pipelines that use one.</summary>
    private static string[] PriorUsers(PipelineTable? table) =>
        [.. (table ?? PipelineTable.Default).Rows.Where(r => r.UsesPrior).Select(r => $"{r.Name} (with its prior)")];

    /// <summary>The standard component of <paramref name="kind"/>; its absence names the pipelines of <paramref name="table"/> that need it.</summary>
    private static BundleComponent Require(ModelBundle bundle, BundleComponentKind kind, PipelineTable? table)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var path = BundleLayout.PathOf(kind);
        return bundle.Get(kind) ?? throw new BundleComponentMissingException(bundle.RootPath, path, (table ?? PipelineTable.Default).PipelinesNeeding(path, bundle.Decoder));
    }

    /// <summary>A preprocessor config of the bundle; its absence is a missing component.</summary>
    private static ImagePreprocessor Preprocessor(ModelBundle bundle, string relative, PipelineTable? table) =>
        bundle.HasFile(relative)
            ? new ImagePreprocessor(PreprocessorConfig.Parse(bundle.ReadText(relative), bundle.ResolvePath(relative)))
            : throw new BundleComponentMissingException(bundle.RootPath, relative, (table ?? PipelineTable.Default).PipelinesNeeding(relative, bundle.Decoder));

    private static int? DownsamplingFactorOf(BundleComponent vae, BundleComponent? unet)
    {
        if (vae.Config is { } config && config.TryGetProperty("block_out_channels", out var blocks) && blocks.ValueKind == JsonValueKind.Array && blocks.GetArrayLength() > 0)
        {
            return 1 << (blocks.GetArrayLength() - 1);
        }

        var vaeSize = vae.ConfigNumber("sample_size");
        var unetSize = unet?.ConfigNumber("sample_size");
        if (vaeSize is > 0 && unetSize is > 0 && vaeSize % unetSize == 0)
        {
            return (int)(vaeSize / unetSize);
        }

        return null;
    }

    private static int[] ReadRoiSet(ModelBundle bundle, string set, string relativePath, int voxelCount)
    {
        using var stream = new MemoryStream(bundle.ReadFile(relativePath), writable: false);
        var values = NpyFile.ReadAsSingle(stream, bundle.ResolvePath(relativePath));
        if (values.Rank != 1)
        {
            throw new BundleContractException(bundle.RootPath, [$"{relativePath}: ROI set '{set}' must be a 1-D array of voxel indices, not rank {values.Rank}."]);
        }

        var indices = new int[values.FlattenedLength];
        var seen = new bool[voxelCount];
        var k = 0;
        foreach (var value in values)
        {
            if (value != Math.Floor(value) || value < 0 || value >= voxelCount || seen[(int)value])
            {
                throw new BundleContractException(bundle.RootPath, [$"{relativePath}: ROI set '{set}' entry {k} is {value}; entries must be distinct whole voxel indices in [0, {voxelCount})."]);
            }

            seen[(int)value] = true;
            indices[k++] = (int)value;
        }

        return indices;
    }
}
