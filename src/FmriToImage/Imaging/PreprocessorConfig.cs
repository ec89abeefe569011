using System.Text.Json;

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
        if (!System.IO.File.Exists(path))
        {
            throw new PreprocessorConfigException(path, "file not found");
        }

        return Parse(System.IO.File.ReadAllText(path), path);
    }

    /// <summary>Parses the JSON text of a <c>preprocessor_config.json</c>.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">A name for the text used in error messages.</param>
    /// <returns>The parsed config.</returns>
    /// <exception cref="PreprocessorConfigException">Not JSON, or a field is malformed.</exception>
    public static PreprocessorConfig Parse(string json, string source = "<text>")
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new PreprocessorConfigException(
                source, $"not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine}): {e.Message}", e);
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new PreprocessorConfigException(source, $"expected a JSON object, found {root.ValueKind}");
            }

            var reader = new FieldReader(root, source);
            string? type = reader.String("image_processor_type") ?? reader.String("feature_extractor_type");
            bool clipLike = type is not null && type.StartsWith("CLIP", StringComparison.OrdinalIgnoreCase);
            var config = new PreprocessorConfig { ProcessorType = type };

            int? shortest = null;
            (int, int)? exact = null;
            if (root.TryGetProperty("size", out JsonElement size) && size.ValueKind != JsonValueKind.Null)
            {
                if (size.ValueKind == JsonValueKind.Number)
                {
                    int s = FieldReader.PositiveInt(size, "size", source);
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
                    if (size.TryGetProperty("shortest_edge", out JsonElement se))
                    {
                        shortest = FieldReader.PositiveInt(se, "size.shortest_edge", source);
                    }
                    else if (size.TryGetProperty("height", out JsonElement h) && size.TryGetProperty("width", out JsonElement w))
                    {
                        exact = (FieldReader.PositiveInt(h, "size.height", source), FieldReader.PositiveInt(w, "size.width", source));
                    }
                    else
                    {
                        throw new PreprocessorConfigException(
                            source, $"size must have shortest_edge or height and width, found {size.GetRawText()}");
                    }
                }
                else
                {
                    throw new PreprocessorConfigException(source, $"size must be an integer or an object, found {size.ValueKind}");
                }
            }

            (int, int)? crop = null;
            if (root.TryGetProperty("crop_size", out JsonElement cropElement) && cropElement.ValueKind != JsonValueKind.Null)
            {
                if (cropElement.ValueKind == JsonValueKind.Number)
                {
                    int c = FieldReader.PositiveInt(cropElement, "crop_size", source);
                    crop = (c, c);
                }
                else if (cropElement.ValueKind == JsonValueKind.Object
                    && cropElement.TryGetProperty("height", out JsonElement ch) && cropElement.TryGetProperty("width", out JsonElement cw))
                {
                    crop = (FieldReader.PositiveInt(ch, "crop_size.height", source), FieldReader.PositiveInt(cw, "crop_size.width", source));
                }
                else
                {
                    throw new PreprocessorConfigException(
                        source, $"crop_size must be an integer or have height and width, found {cropElement.GetRawText()}");
                }
            }

            bool doResize = reader.Bool("do_resize") ?? true;
            if (doResize && shortest is null && exact is null)
            {
                throw new PreprocessorConfigException(source, "do_resize is true but there is no size field");
            }

            bool doCrop = reader.Bool("do_center_crop") ?? crop is not null;
            if (doCrop && crop is null)
            {
                throw new PreprocessorConfigException(source, "do_center_crop is true but there is no crop_size field");
            }

            int? resample = reader.Int("resample");
            if (resample is not null && !Enum.IsDefined((ResampleFilter)resample.Value))
            {
                throw new PreprocessorConfigException(source, $"resample must be a PIL filter code 0-5, found {resample}");
            }

            float? factor = reader.Float("rescale_factor");
            if (factor is not null && !(factor > 0))
            {
                throw new PreprocessorConfigException(source, $"rescale_factor must be positive, found {factor}");
            }

            return config with
            {
                DoResize = doResize,
                ShortestEdge = shortest,
                ResizeTo = shortest is null ? exact : null,
                Resample = resample is null ? ResampleFilter.Bicubic : (ResampleFilter)resample.Value,
                DoCenterCrop = doCrop,
                CropSize = crop,
                DoRescale = reader.Bool("do_rescale") ?? true,
                RescaleFactor = factor ?? (1f / 255f),
                DoNormalize = reader.Bool("do_normalize") ?? true,
                ImageMean = reader.Triple("image_mean") ?? config.ImageMean,
                ImageStd = reader.Triple("image_std", positive: true) ?? config.ImageStd,
            };
        }
    }

    /// <summary>Typed access to optional top-level fields, failing with the field name and the found kind.</summary>
    private readonly struct FieldReader(JsonElement root, string source)
    {
        public string? String(string name) => Get(name) is { } e
            ? e.ValueKind == JsonValueKind.String ? e.GetString() : throw Wrong(name, "a string", e)
            : null;

        public bool? Bool(string name) => Get(name) is { } e
            ? e.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Wrong(name, "true or false", e),
            }
            : null;

        public int? Int(string name) => Get(name) is { } e
            ? e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) ? v : throw Wrong(name, "an integer", e)
            : null;

        public float? Float(string name) => Get(name) is { } e
            ? e.ValueKind == JsonValueKind.Number ? e.GetSingle() : throw Wrong(name, "a number", e)
            : null;

        public float[]? Triple(string name, bool positive = false)
        {
            if (Get(name) is not { } e)
            {
                return null;
            }

            if (e.ValueKind == JsonValueKind.Number)
            {
                float v = e.GetSingle();
                return Check([v, v, v], name, positive);
            }

            if (e.ValueKind != JsonValueKind.Array || e.GetArrayLength() != 3)
            {
                throw Wrong(name, "a number or an array of 3 numbers", e);
            }

            var values = new float[3];
            int i = 0;
            foreach (JsonElement item in e.EnumerateArray())
            {
                values[i++] = item.ValueKind == JsonValueKind.Number ? item.GetSingle() : throw Wrong(name, "numbers", item);
            }

            return Check(values, name, positive);
        }

        public static int PositiveInt(JsonElement e, string name, string source) =>
            e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) && v > 0
                ? v
                : throw new PreprocessorConfigException(source, $"{name} must be a positive integer, found {e.GetRawText()}");

        private float[] Check(float[] values, string name, bool positive)
        {
            foreach (float v in values)
            {
                if (!float.IsFinite(v) || (positive && v <= 0))
                {
                    throw new PreprocessorConfigException(
                        source, $"{name} must hold finite{(positive ? " positive" : "")} numbers, found {v}");
                }
            }

            return values;
        }

        private JsonElement? Get(string name) =>
            root.TryGetProperty(name, out JsonElement e) && e.ValueKind != JsonValueKind.Null ? e : null;

        private PreprocessorConfigException Wrong(string name, string expected, JsonElement found) =>
            new(source, $"{name} must be {expected}, found {found.GetRawText()}");
    }
}
