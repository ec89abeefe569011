using System.Text.Json.Serialization;

namespace FmriToImage.Bundle;

/// <summary>
/// The brain-specific part of a bundle, <c>fmri_decoder.json</c>: whose brain it decodes, how its voxels are ordered,
/// the voxel encoders and their roles, per-pipeline defaults, and the sha256 of every file. Field names in the file are
/// the snake_case forms of the property names. See docs/model-bundle.md.
/// </summary>
internal sealed record DecoderManifest
{
    /// <summary>The version of this file's format; this library reads versions 1 (one subject) and 2 (shared-subject).</summary>
    public required int FormatVersion { get; init; }

    /// <summary>Format 1: the subject the encoders were trained on, e.g. "subj01" (required there; absent in format 2).</summary>
    public string? Subject { get; init; }

    /// <summary>Format 1: the number of voxels in the subject's full (nsdgeneral) vector (required there; absent in format 2).</summary>
    public int? VoxelCount { get; init; }

    /// <summary>
    /// Format 2: how repeats of one image are combined, <c>outputs</c> (MindEye2) or <c>voxels</c> (MindEye1); null
    /// for the format's default (outputs in format 2, voxels in format 1).
    /// </summary>
    public string? RepetitionAveraging { get; init; }

    /// <summary>Format 2: the shared space every subject's adapter maps into and the voxel encoders read.</summary>
    public SharedSpaceEntry? SharedSpace { get; init; }

    /// <summary>Format 2: the subjects, keyed by id ("subj01"), in the file's order.</summary>
    public IReadOnlyDictionary<string, SubjectEntry> Subjects { get; init; } = new Dictionary<string, SubjectEntry>();

    /// <summary>Whether this is a shared-subject manifest (format 2).</summary>
    [JsonIgnore]
    public bool IsShared => FormatVersion == 2;

    /// <summary>The voxel encoders' input width: format 1's voxel count, format 2's shared-space width (both checked at open).</summary>
    [JsonIgnore]
    public int EncoderInputWidth => IsShared ? SharedSpace!.Width : VoxelCount!.Value;

    /// <summary>How the voxel vector is ordered, in words (e.g. "C order of the (X, Y, Z) nsdgeneral mask").</summary>
    public string VoxelOrder { get; init; } = string.Empty;

    /// <summary>The mask files: the nsdgeneral mask and one index file per ROI set.</summary>
    public ManifestMasks Masks { get; init; } = new();

    /// <summary>The voxel encoders, in the order the pipelines use them.</summary>
    public IReadOnlyList<VoxelEncoderEntry> VoxelEncoders { get; init; } = [];

    /// <summary>
    /// What the UNet was trained to take as "no conditioning" for classifier-free guidance, per conditioning kind
    /// (<c>text</c>: the caption path; <c>image_tokens</c>: the unCLIP path). The library builds exactly one
    /// unconditional input per kind — the text encoder's <c>last_hidden_state</c> of the empty caption, and zero
    /// tokens — so <see cref="ModelBundle.Open"/> refuses any other kind or value (<see cref="SupportedUnconditional"/>)
    /// rather than guide with an input the UNet was not trained on. Empty when the manifest does not say (the library's
    /// choices then apply).
    /// </summary>
    public IReadOnlyDictionary<string, string> Unconditional { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// The <c>unconditional</c> values this library implements, per kind: <c>text</c> → <c>empty_caption</c> (also
    /// spelled as the demo bundle writes it, "text_encoder last_hidden_state of the empty caption"),
    /// <c>image_tokens</c> → <c>zeros</c>, <c>conditioning_tokens</c> → <c>zeros</c> (zero context tokens and a zero
    /// time-embedding term: the Conditioned pipeline's unconditional half).
    /// </summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> SupportedUnconditional { get; } = new Dictionary<string, IReadOnlyList<string>>
    {
        ["text"] = ["empty_caption", "text_encoder last_hidden_state of the empty caption"],
        ["image_tokens"] = ["zeros"],
        ["conditioning_tokens"] = ["zeros"],
    };

    /// <summary>Per-pipeline defaults, keyed by each pipeline's manifest key (the pipelines' table says which).</summary>
    public IReadOnlyDictionary<string, PipelineDefaults> Pipelines { get; init; } = new Dictionary<string, PipelineDefaults>();

    /// <summary>The sha256 (lower-case hex) of every file in the bundle, keyed by its path relative to the bundle folder.</summary>
    public IReadOnlyDictionary<string, string> Files { get; init; } = new Dictionary<string, string>();
}

/// <summary>Format 2: the shared space (MindEye2's ridge output, the backbone's input).</summary>
internal sealed record SharedSpaceEntry
{
    /// <summary>H: every adapter's output width and the voxel encoders' input width.</summary>
    public required int Width { get; init; }

    /// <summary>float32 [M, H]: the shared-space representation of M known images (what a new subject's adapter regresses onto), or null.</summary>
    public string? Targets { get; init; }

    /// <summary>int64 [M]: the 0-based NSD image id of each row of <see cref="Targets"/>, or null.</summary>
    public string? ImageIds { get; init; }
}

/// <summary>Format 2: one subject of a shared-subject bundle.</summary>
internal sealed record SubjectEntry
{
    /// <summary>The number of voxels in the subject's nsdgeneral vector.</summary>
    public required int VoxelCount { get; init; }

    /// <summary>The subject's masks (its own grid); voxel order is C order over (X, Y, Z) of the nsdgeneral mask.</summary>
    public ManifestMasks Masks { get; init; } = new();

    /// <summary>z = (x − mean) / std before the adapter, or null when the voxels are used as given.</summary>
    public StandardizationEntry? Standardization { get; init; }

    /// <summary>The subject's adapter into the shared space.</summary>
    public required AdapterEntry Adapter { get; init; }

    /// <summary>"trained" (with the shared model) or "adapted" (fitted afterwards from a little data).</summary>
    public string Source { get; init; } = "trained";

    /// <summary>For an adapted subject: the facts of its fit, or null.</summary>
    public AdaptationEntry? Adaptation { get; init; }
}

/// <summary>Format 2: a subject's standardization statistics, float32 [voxel_count] each.</summary>
internal sealed record StandardizationEntry
{
    /// <summary>The per-voxel mean file.</summary>
    public required string Mean { get; init; }

    /// <summary>The per-voxel standard deviation file (every value finite and &gt; 0).</summary>
    public required string Std { get; init; }
}

/// <summary>Format 2: a subject's adapter, as .npy weight + bias (y = x·W + b) or as an ONNX graph.</summary>
internal sealed record AdapterEntry
{
    /// <summary>float32 [voxel_count, H], C order, or null for the ONNX form.</summary>
    public string? Weight { get; init; }

    /// <summary>float32 [H], or null for the ONNX form.</summary>
    public string? Bias { get; init; }

    /// <summary>An ONNX graph [batch, voxel_count] → [batch, H], or null for the .npy form.</summary>
    public string? File { get; init; }
}

/// <summary>Format 2: how an adapted subject was fitted (<c>SubjectAdapter.Fit</c>).</summary>
internal sealed record AdaptationEntry
{
    /// <summary>Trials fitted on.</summary>
    public int Trials { get; init; }

    /// <summary>The ridge penalty chosen by cross-validation.</summary>
    public double Lambda { get; init; }

    /// <summary>The chosen penalty's mean out-of-fold Pearson correlation.</summary>
    public double CvScore { get; init; }

    /// <summary>k of the k-fold cross-validation.</summary>
    public int Folds { get; init; }

    /// <summary>Distinct shared images among the trials.</summary>
    public int SharedImages { get; init; }
}

/// <summary>The mask files of a bundle.</summary>
internal sealed record ManifestMasks
{
    /// <summary>The subject's nsdgeneral mask (a label volume), relative to the bundle folder, or null.</summary>
    public string? Nsdgeneral { get; init; }

    /// <summary>For each named ROI set, a file of indices into the voxel vector, relative to the bundle folder.</summary>
    public IReadOnlyDictionary<string, string> RoiSets { get; init; } = new Dictionary<string, string>();
}

/// <summary>One voxel encoder: its graph, what it predicts, and which voxels it reads.</summary>
internal sealed record VoxelEncoderEntry
{
    /// <summary>A unique name, e.g. "lowlevel_set1".</summary>
    public required string Name { get; init; }

    /// <summary>The ONNX file, relative to the bundle folder.</summary>
    public required string File { get; init; }

    /// <summary>What the encoder predicts.</summary>
    public required VoxelEncoderRole Role { get; init; }

    /// <summary>Which voxels the encoder reads.</summary>
    public VoxelEncoderInput Input { get; init; } = VoxelEncoderInput.Nsdgeneral;

    /// <summary>The ROI set the encoder was trained on (a key of <see cref="ManifestMasks.RoiSets"/>), or null for all voxels.</summary>
    public string? RoiSet { get; init; }

    /// <summary>
    /// The length of the encoder's input vector: the manifest's voxel count for <see cref="VoxelEncoderInput.Nsdgeneral"/>
    /// and <see cref="VoxelEncoderInput.RoiZeroFilled"/>, the ROI set's size for <see cref="VoxelEncoderInput.RoiSubset"/>.
    /// Null means the manifest's voxel count.
    /// </summary>
    public int? VoxelCount { get; init; }
}

/// <summary>What a voxel encoder predicts; each role fixes the encoder's output names and shapes.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<VoxelEncoderRole>))]
internal enum VoxelEncoderRole
{
    /// <summary>A VAE latent, already multiplied by the VAE's scaling factor: output <c>latent</c> [batch, C, h, w].</summary>
    [JsonStringEnumMemberName("vae_latent")]
    VaeLatent,

    /// <summary>Image-encoder token states: output <c>image_tokens</c> [batch, T, D], optionally <c>image_embedding</c> [batch, E] for retrieval.</summary>
    [JsonStringEnumMemberName("image_tokens")]
    ImageTokens,

    /// <summary>
    /// UNet context tokens straight from the brain (Vis-Dec): output <c>conditioning_tokens</c> [batch, T, D] fed to the
    /// UNet's cross-attention; optionally <c>time_embedding_term</c> [batch, E], fed to the UNet input of that name
    /// (the context-to-time-embedding term), and <c>image_embedding</c> [batch, E'] for best-of-N selection.
    /// </summary>
    [JsonStringEnumMemberName("conditioning_tokens")]
    ConditioningTokens,
}

/// <summary>Which voxels a voxel encoder reads.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<VoxelEncoderInput>))]
internal enum VoxelEncoderInput
{
    /// <summary>The full voxel vector.</summary>
    [JsonStringEnumMemberName("nsdgeneral")]
    Nsdgeneral,

    /// <summary>Only the voxels of its ROI set, in voxel-vector order.</summary>
    [JsonStringEnumMemberName("roi_subset")]
    RoiSubset,

    /// <summary>The full vector with every voxel outside its ROI set set to zero (what the seed student study did).</summary>
    [JsonStringEnumMemberName("roi_zero_filled")]
    RoiZeroFilled,

    /// <summary>Format 2: the shared space [batch, H] the subject's adapter produced.</summary>
    [JsonStringEnumMemberName("shared_space")]
    SharedSpace,
}

/// <summary>A pipeline's default settings, chosen when the bundle was made (e.g. on a validation split).</summary>
internal sealed record PipelineDefaults
{
    /// <summary>DDIM steps.</summary>
    public int Steps { get; init; } = 50;

    /// <summary>img2img strength in [0, 1] (1 = start from pure noise).</summary>
    public double Strength { get; init; } = 0.75;

    /// <summary>Classifier-free guidance scale (≤ 1 disables guidance).</summary>
    public double Guidance { get; init; } = 7.5;

    /// <summary>Samples drawn per voxel encoder (bagging) or per trial (unCLIP best-of-N).</summary>
    public int Samples { get; init; } = 1;

    /// <summary>
    /// unCLIP with a diffusion prior: DDIM steps of the prior loop (<c>prior_steps</c>, default 20, the step count
    /// MindEye2 samples its prior with).
    /// </summary>
    public int PriorSteps { get; init; } = 20;

    /// <summary>
    /// unCLIP with a diffusion prior: DDIM η of the prior loop (<c>prior_eta</c>, default 0: deterministic DDIM, whose
    /// few-step samples the DDIM paper found better than stochastic ones, and which makes the prior's output depend on
    /// the seed only through its initial noise).
    /// </summary>
    public double PriorEta { get; init; }

    /// <summary>
    /// SDXL UNets (<c>time_ids</c>): the original image size [height, width] (<c>original_size</c>); null: the output
    /// image's size, as diffusers' SDXL pipelines default it.
    /// </summary>
    public IReadOnlyList<int>? OriginalSize { get; init; }

    /// <summary>SDXL UNets (<c>time_ids</c>): the crop's top-left corner [top, left] (<c>crops_coords_top_left</c>); null: [0, 0] (diffusers' default).</summary>
    public IReadOnlyList<int>? CropsCoordsTopLeft { get; init; }

    /// <summary>SDXL base UNets (6 <c>time_ids</c>): the target size [height, width] (<c>target_size</c>); null: the output image's size (diffusers' default).</summary>
    public IReadOnlyList<int>? TargetSize { get; init; }

    /// <summary>SDXL refiner UNets (5 <c>time_ids</c>): the aesthetic score of the conditional half (<c>aesthetic_score</c>, diffusers' default 6).</summary>
    public double AestheticScore { get; init; } = 6.0;

    /// <summary>SDXL refiner UNets (5 <c>time_ids</c>): the aesthetic score of the unconditional half (<c>negative_aesthetic_score</c>, diffusers' default 2.5).</summary>
    public double NegativeAestheticScore { get; init; } = 2.5;

    /// <summary>unCLIP UNets (<c>class_labels</c>): the noise level of the image embedding's augmentation (<c>noise_level</c>, diffusers' default 0).</summary>
    public int NoiseLevel { get; init; }

    /// <summary>MindEye2: whether the refinement stage (img2img of the unCLIP image with its caption) runs (<c>refine</c>, default true).</summary>
    public bool Refine { get; init; } = true;

    /// <summary>MindEye2: the refinement's steps (<c>refine_steps</c>, default 25 as MindEye2).</summary>
    public int RefineSteps { get; init; } = 25;

    /// <summary>
    /// MindEye2: the refinement's img2img strength (<c>refine_strength</c>, default 0.52: of 25 steps the last 13 run,
    /// MindEye2's <c>img2img_timepoint</c> 13).
    /// </summary>
    public double RefineStrength { get; init; } = 0.52;

    /// <summary>MindEye2: the refinement's guidance scale (<c>refine_guidance</c>, default 5 as MindEye2).</summary>
    public double RefineGuidance { get; init; } = 5.0;

    /// <summary>MindEye2: whether the final blend with the low-level image runs (<c>blend</c>, default true).</summary>
    public bool Blend { get; init; } = true;

    /// <summary>MindEye2: the refined image's weight in the final pixel blend (<c>blend_weight</c>, default 0.75; the low-level image gets the rest).</summary>
    public double BlendWeight { get; init; } = 0.75;

    /// <summary>
    /// A scheduler override for this pipeline (<c>scheduler</c>, e.g. <c>{"_class_name": "PNDMScheduler",
    /// "skip_prk_steps": true}</c>): its keys replace those of <c>scheduler/scheduler_config.json</c>, so the training
    /// schedule (betas, timesteps, prediction type) stays the bundle's and only the sampler changes. Null: the bundle's
    /// scheduler. Checked at load like the bundle's config.
    /// </summary>
    public System.Text.Json.JsonElement? Scheduler { get; init; }
}
