using System.Text.Json;
using FmriToImage.Configuration;

namespace FmriToImage.Imaging;

/// <summary>
/// The image-preprocessing fields of a Hugging Face <c>preprocessor_config.json</c> (CLIPImageProcessor,
/// BlipImageProcessor and the older *FeatureExtractor files): resize, crop, rescale and normalise settings.
/// </summary>
/// <remarks>
/// <para>Field rules follow transformers' <c>get_size_dict</c>: <c>size</c> may be a dictionary with
/// <c>shortest_edge</c> or <c>height</c>+<c>width</c>, or a bare integer, which means the shortest edge for CLIP
/// processors (<c>default_to_square=False</c>) and a square for all others. <c>crop_size</c> may be an integer
/// (square) or <c>height</c>+<c>width</c>. Absent fields take the defaults of the image processors' constructors:
/// <c>do_resize</c>, <c>do_rescale</c>, <c>do_normalize</c> true; <c>rescale_factor</c> 1/255; <c>resample</c>
/// bicubic; <c>do_center_crop</c> true exactly when <c>crop_size</c> is present.</para>
/// <para>Immutable record; thread-safe.</para>
/// </remarks>
internal sealed record PreprocessorConfig
{
    /// <summary>Whether to resize (<c>do_resize</c>).</summary>
    public bool DoResize { get; init; } = true;

    /// <summary>When set, resize so the shorter side is this long (<c>size.shortest_edge</c>).</summary>
    public int? ShortestEdge { get; init; }

    /// <summary>When set (and <see cref="ShortestEdge"/> is not), resize to exactly this size (<c>size.height/width</c>).</summary>
    public (int Height, int Width)? ResizeTo { get; init; }

    /// <summary>The resampling kernel (<c>resample</c>, a PIL code).</summary>
    public ResampleFilter Resample { get; init; } = ResampleFilter.Bicubic;

    /// <summary>Whether to center-crop after resizing (<c>do_center_crop</c>).</summary>
    public bool DoCenterCrop { get; init; }

    /// <summary>Crop size (<c>crop_size</c>), used when <see cref="DoCenterCrop"/> is set.</summary>
    public (int Height, int Width)? CropSize { get; init; }

    /// <summary>Whether to multiply bytes by <see cref="RescaleFactor"/> (<c>do_rescale</c>).</summary>
    public bool DoRescale { get; init; } = true;

    /// <summary>The byte scale factor (<c>rescale_factor</c>), 1/255 by default.</summary>
    public float RescaleFactor { get; init; } = 1f / 255f;

    /// <summary>Whether to subtract <see cref="ImageMean"/> and divide by <see cref="ImageStd"/> (<c>do_normalize</c>).</summary>
    public bool DoNormalize { get; init; } = true;

    /// <summary>Per-channel means (<c>image_mean</c>); ImageNet's (0.485, 0.456, 0.406) when absent, as transformers.</summary>
    public IReadOnlyList<float> ImageMean { get; init; } = [0.485f, 0.456f, 0.406f];

    /// <summary>Per-channel standard deviations (<c>image_std</c>); ImageNet's (0.229, 0.224, 0.225) when absent.</summary>
    public IReadOnlyList<float> ImageStd { get; init; } = [0.229f, 0.224f, 0.225f];

    /// <summary>The processor class named in the file (<c>image_processor_type</c> or <c>feature_extractor_type</c>).</summary>
    public string? ProcessorType { get; init; }

    /// <summary>Reads and parses a <c>preprocessor_config.json</c> file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The parsed config.</returns>
    /// <exception cref="PreprocessorConfigException">The file is missing, not JSON, or a field is malformed.</exception>
    public static PreprocessorConfig Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var source = Source(path);
        return Read(ConfigJson.ParseObject(ConfigJson.ReadFile(path, source), source));
    }

    /// <summary>Parses the JSON text of a <c>preprocessor_config.json</c>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">A name for the text used in error messages.</param>
    /// <returns>The parsed config.</returns>
    /// <exception cref="PreprocessorConfigException">Not JSON, or a field is malformed.</exception>
    public static PreprocessorConfig Parse(string json, string source = "<text>")
    {
        ArgumentNullException.ThrowIfNull(json);
        return Read(ConfigJson.ParseObject(json, Source(source)));
    }

    private static ConfigSource Source(string name) => new(name, e => new PreprocessorConfigException(name, e.Message, e.Inner));

    private static PreprocessorConfig Read(ConfigObject root)
    {
        string? type = root.OptionalString("image_processor_type") ?? root.OptionalString("feature_extractor_type");
        bool clipLike = type is not null && type.StartsWith("CLIP", StringComparison.OrdinalIgnoreCase);
        var config = new PreprocessorConfig { ProcessorType = type };

        int? shortest = null;
        (int, int)? exact = null;
        if (root.Optional("size") is { } size)
        {
            if (size.ValueKind == JsonValueKind.Number)
            {
                int s = PositiveInt(size, "size", root.Source);
                if (clipLike)
                {
                    shortest = s;
                }
                else
                {
                    exact = (s, s);
                }
            }
            else if (size.ValueKind == JsonValueKind.Object)
            {
                var sizes = ConfigJson.Object(size, "size", root.Source);
                if (sizes.Optional("shortest_edge") is { } se)
                {
                    shortest = PositiveInt(se, "size.shortest_edge", root.Source);
                }
                else if (sizes.Optional("height") is { } h && sizes.Optional("width") is { } w)
                {
                    exact = (PositiveInt(h, "size.height", root.Source), PositiveInt(w, "size.width", root.Source));
                }
                else
                {
                    throw ConfigJson.WrongType("size", "an object with shortest_edge or height and width", size, root.Source);
                }
            }
            else
            {
                throw ConfigJson.WrongType("size", "an integer or an object", size, root.Source);
            }
        }

        (int, int)? crop = null;
        if (root.Optional("crop_size") is { } cropElement)
        {
            if (cropElement.ValueKind == JsonValueKind.Number)
            {
                int c = PositiveInt(cropElement, "crop_size", root.Source);
                crop = (c, c);
            }
            else if (cropElement.ValueKind == JsonValueKind.Object
                && ConfigJson.Object(cropElement, "crop_size", root.Source) is var crops
                && crops.Optional("height") is { } ch && crops.Optional("width") is { } cw)
            {
                crop = (PositiveInt(ch, "crop_size.height", root.Source), PositiveInt(cw, "crop_size.width", root.Source));
            }
            else
            {
                throw ConfigJson.WrongType("crop_size", "an integer or an object with height and width", cropElement, root.Source);
            }
        }

        bool doResize = root.OptionalBool("do_resize") ?? true;
        if (doResize && shortest is null && exact is null)
        {
            throw root.Source.Fail("do_resize is true but there is no size field");
        }

        bool doCrop = root.OptionalBool("do_center_crop") ?? crop is not null;
        if (doCrop && crop is null)
        {
            throw root.Source.Fail("do_center_crop is true but there is no crop_size field");
        }

        int? resample = root.OptionalInt("resample");
        if (resample is not null && !Enum.IsDefined((ResampleFilter)resample.Value))
        {
            throw root.Source.Fail($"resample must be a PIL filter code 0-5, found {resample}");
        }

        float? factor = root.OptionalSingle("rescale_factor");
        if (factor is not null && !(factor > 0))
        {
            throw root.Source.Fail($"rescale_factor must be positive, found {factor}");
        }

        return config with
        {
            DoResize = doResize,
            ShortestEdge = shortest,
            ResizeTo = shortest is null ? exact : null,
            Resample = resample is null ? ResampleFilter.Bicubic : (ResampleFilter)resample.Value,
            DoCenterCrop = doCrop,
            CropSize = crop,
            DoRescale = root.OptionalBool("do_rescale") ?? true,
            RescaleFactor = factor ?? (1f / 255f),
            DoNormalize = root.OptionalBool("do_normalize") ?? true,
            ImageMean = Triple(root, "image_mean", positive: false) ?? config.ImageMean,
            ImageStd = Triple(root, "image_std", positive: true) ?? config.ImageStd,
        };
    }

    private static int PositiveInt(JsonElement e, string name, ConfigSource source) => ConfigJson.Int(e, name, source, min: 1);

    /// <summary>A per-channel value: one number for all three channels or an array of three, all finite (and positive when asked).</summary>
    private static float[]? Triple(ConfigObject root, string name, bool positive)
    {
        if (root.Optional(name) is not { } e)
        {
            return null;
        }

        float[] values;
        if (e.ValueKind == JsonValueKind.Number)
        {
            float v = ConfigJson.Single(e, name, root.Source);
            values = [v, v, v];
        }
        else if (e.ValueKind == JsonValueKind.Array && e.GetArrayLength() == 3)
        {
            values = new float[3];
            int i = 0;
            foreach (JsonElement item in e.EnumerateArray())
            {
                values[i] = ConfigJson.Single(item, $"{name}[{i}]", root.Source);
                i++;
            }
        }
        else
        {
            throw ConfigJson.WrongType(name, "a number or an array of 3 numbers", e, root.Source);
        }

        foreach (float v in values)
        {
            if (positive && v <= 0)
            {
                throw root.Source.Fail($"{name} must hold positive numbers, found {v}");
            }
        }

        return values;
    }
}
