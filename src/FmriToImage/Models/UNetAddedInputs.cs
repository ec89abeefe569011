using System.Globalization;
using System.Text.Json;
using FmriToImage.Onnx;

namespace FmriToImage.Models;

/// <summary>
/// The added-condition inputs a UNet export takes beside <c>sample</c>, <c>timestep</c> and
/// <c>encoder_hidden_states</c>, read from its graph and checked against its <c>unet/config.json</c>: SDXL's
/// <c>text_embeds</c> [batch, P] (pooled text embedding) and <c>time_ids</c> [batch, n] (config
/// <c>addition_embed_type</c> "text_time"), and SD-2.1-unCLIP's <c>class_labels</c> [batch, 2E] (image embedding ‖
/// noise-level embedding; config <c>class_embed_type</c> "projection").
/// </summary>
/// <remarks>
/// diffusers' <c>UNet2DConditionModel</c> projects <c>text_embeds</c> ‖ the Fourier features of each <c>time_ids</c>
/// entry (<c>addition_time_embed_dim</c> each) to the time embedding, so P + n·<c>addition_time_embed_dim</c> =
/// <c>projection_class_embeddings_input_dim</c>; n is 6 (SDXL base: original size, crop top-left, target size) or 5
/// (SDXL refiner: original size, crop top-left, aesthetic score). With <c>class_embed_type</c> "projection",
/// <c>class_labels</c> has <c>projection_class_embeddings_input_dim</c> values.
/// </remarks>
/// <param name="TextEmbedsWidth">P, when the graph takes <c>text_embeds</c>; else null.</param>
/// <param name="TimeIdsCount">n (5 or 6), when the graph takes <c>time_ids</c>; else null.</param>
/// <param name="ClassLabelsWidth">2E, when the graph takes <c>class_labels</c>; else null.</param>
/// <param name="TimeEmbeddingTermWidth">
/// E, when the graph takes Vis-Dec's <c>time_embedding_term</c> [batch, E] (fed by a <c>conditioning_tokens</c> voxel
/// encoder, not by the config); 0 when the graph leaves E dynamic (the values give it); else null.
/// </param>
internal sealed record UNetAddedInputs(int? TextEmbedsWidth, int? TimeIdsCount, int? ClassLabelsWidth, int? TimeEmbeddingTermWidth = null)
{
    /// <summary>The input names of the pooled text embedding, the size/crop conditioning and the unCLIP class labels.</summary>
    public const string TextEmbeds = "text_embeds", TimeIds = "time_ids", ClassLabels = "class_labels";

    /// <summary>Vis-Dec's context-to-time-embedding term, an input the voxel encoder (not the config) fills.</summary>
    public const string TimeEmbeddingTerm = Bundle.BundleContractChecker.TimeEmbeddingTerm;

    /// <summary>A UNet without added conditions.</summary>
    public static UNetAddedInputs None { get; } = new(null, null, null);

    /// <summary>Whether the graph takes any added condition.</summary>
    public bool Any => TextEmbedsWidth is not null || TimeIdsCount is not null || ClassLabelsWidth is not null || TimeEmbeddingTermWidth is not null;

    /// <summary>Whether any added input is one the bundle's config explains (SDXL's or unCLIP's), filled by <c>UnetConditions</c>.</summary>
    public bool AnyFromConfig => TextEmbedsWidth is not null || TimeIdsCount is not null || ClassLabelsWidth is not null;

    /// <summary>The added inputs with their widths, in a fixed order (text_embeds, time_ids, class_labels).</summary>
    public IReadOnlyList<(string Name, int Width)> Inputs =>
    [
        .. TextEmbedsWidth is { } p ? [(TextEmbeds, p)] : Array.Empty<(string, int)>(),
        .. TimeIdsCount is { } n ? [(TimeIds, n)] : Array.Empty<(string, int)>(),
        .. ClassLabelsWidth is { } c ? [(ClassLabels, c)] : Array.Empty<(string, int)>(),
        .. TimeEmbeddingTermWidth is { } e ? [(TimeEmbeddingTerm, e)] : Array.Empty<(string, int)>(),
    ];

    /// <summary>
    /// Reads which added inputs <paramref name="session"/> takes and checks them against <paramref name="config"/>
    /// (<c>unet/config.json</c>, or null): an input the config asks for must exist as a float32/float16 [batch, width]
    /// tensor of the width the config gives; an input the config does not explain, or any other input beyond the
    /// contract, is refused.
    /// </summary>
    /// <exception cref="TensorContractException">The first mismatch, naming the input, what was expected and what the graph has.</exception>
    public static UNetAddedInputs Read(GraphSession session, JsonElement? config)
    {
        ArgumentNullException.ThrowIfNull(session);
        var name = session.ModelName;
        var additionType = Text(config, "addition_embed_type");
        var classType = Text(config, "class_embed_type");
        var timeDim = Number(config, "addition_time_embed_dim");
        var projection = Number(config, "projection_class_embeddings_input_dim");

        foreach (var input in session.Inputs)
        {
            if (input.Name is not ("sample" or "timestep" or "encoder_hidden_states" or TextEmbeds or TimeIds or ClassLabels or TimeEmbeddingTerm))
            {
                throw new TensorContractException($"{name}: input '{input.Name}' {input.ShapeText} is not one this library fills (sample, timestep, encoder_hidden_states, and text_embeds/time_ids or class_labels when unet/config.json asks for them, time_embedding_term from a conditioning_tokens voxel encoder).", input.Name);
            }
        }

        if (additionType is not (null or "text_time"))
        {
            throw new TensorContractException($"{name}: unet/config.json addition_embed_type is \"{additionType}\"; this library fills \"text_time\" (SDXL's text_embeds and time_ids) or none.", TextEmbeds);
        }

        if (classType is not (null or "projection"))
        {
            throw new TensorContractException($"{name}: unet/config.json class_embed_type is \"{classType}\"; this library fills \"projection\" (unCLIP's class_labels) or none.", ClassLabels);
        }

        int? textWidth = null, timeCount = null, classWidth = null;
        if (additionType == "text_time")
        {
            if (timeDim is null || projection is null)
            {
                throw new TensorContractException($"{name}: unet/config.json has addition_embed_type \"text_time\" but no numeric {(timeDim is null ? "addition_time_embed_dim" : "projection_class_embeddings_input_dim")}; both are needed to size text_embeds and time_ids.", TextEmbeds);
            }

            if (timeDim <= 0 || projection <= 0)
            {
                throw new TensorContractException($"{name}: unet/config.json has addition_time_embed_dim {timeDim} and projection_class_embeddings_input_dim {projection}; both must be positive.", TextEmbeds);
            }

            var text = Expect(session, TextEmbeds, "addition_embed_type \"text_time\"");
            var time = Expect(session, TimeIds, "addition_embed_type \"text_time\"");
            var p = Fixed(text);
            var n = Fixed(time);
            p ??= n is { } nn ? projection - (nn * timeDim) : null;
            n ??= p is { } pp && (projection - pp) % timeDim == 0 ? (projection - pp) / timeDim : null;
            if (p is null || n is null)
            {
                throw new TensorContractException($"{name}: inputs 'text_embeds' {text.ShapeText} and 'time_ids' {time.ShapeText} fix neither width; one must be fixed to split projection_class_embeddings_input_dim {projection}.", TimeIds);
            }

            if (n is not (5 or 6))
            {
                throw new TensorContractException($"{name}: input 'time_ids' {time.ShapeText} has {n} values per sample; expected 6 (original size, crop top-left, target size) or 5 (original size, crop top-left, aesthetic score).", TimeIds);
            }

            if (p <= 0 || p + (n * timeDim) != projection)
            {
                throw new TensorContractException(string.Create(CultureInfo.InvariantCulture, $"{name}: input 'text_embeds' {text.ShapeText} (width {p}) and 'time_ids' ({n} × addition_time_embed_dim {timeDim}) must add up to unet/config.json projection_class_embeddings_input_dim {projection}; they give {p + (n * timeDim)}."), TextEmbeds);
            }

            (textWidth, timeCount) = (p, n);
        }
        else
        {
            Unexplained(session, TextEmbeds, "addition_embed_type \"text_time\"");
            Unexplained(session, TimeIds, "addition_embed_type \"text_time\"");
        }

        if (classType == "projection")
        {
            var labels = Expect(session, ClassLabels, "class_embed_type \"projection\"");
            if (projection is null)
            {
                throw new TensorContractException($"{name}: unet/config.json has class_embed_type \"projection\" but no numeric projection_class_embeddings_input_dim.", ClassLabels);
            }

            var width = Fixed(labels);
            if ((width is not null && width != projection) || projection % 2 != 0 || projection < 2)
            {
                throw new TensorContractException($"{name}: input 'class_labels' is {labels.ShapeText}; expected [batch, {projection}] (unet/config.json projection_class_embeddings_input_dim, an even width: image embedding ‖ noise-level embedding).", ClassLabels);
            }

            classWidth = projection;
        }
        else
        {
            Unexplained(session, ClassLabels, "class_embed_type \"projection\"");
        }

        int? termWidth = null;
        if (session.Inputs.FirstOrDefault(i => i.Name == TimeEmbeddingTerm) is { } term)
        {
            if (term.Rank != 2 || term.ElementType is not (TensorElementType.Float or TensorElementType.Float16))
            {
                throw new TensorContractException($"{name}: input '{TimeEmbeddingTerm}' is {ElementTypes.Name(term.ElementType)} {term.ShapeText}; expected float32 or float16 [batch, E] (Vis-Dec's context-to-time-embedding term).", TimeEmbeddingTerm);
            }

            termWidth = Fixed(term) ?? 0;
        }

        return new UNetAddedInputs(textWidth, timeCount, classWidth, termWidth);
    }

    private static GraphNode Expect(GraphSession session, string input, string because)
    {
        var node = session.Inputs.FirstOrDefault(i => i.Name == input)
            ?? throw new TensorContractException($"{session.ModelName}: unet/config.json has {because}, so input '{input}' is expected; the graph has only {string.Join(", ", session.Inputs)}.", input);
        if (node.Rank != 2 || node.ElementType is not (TensorElementType.Float or TensorElementType.Float16))
        {
            throw new TensorContractException($"{session.ModelName}: input '{input}' is {ElementTypes.Name(node.ElementType)} {node.ShapeText}; expected float32 or float16 [batch, width] (unet/config.json {because}).", input);
        }

        return node;
    }

    private static void Unexplained(GraphSession session, string input, string needed)
    {
        if (session.Inputs.FirstOrDefault(i => i.Name == input) is { } node)
        {
            throw new TensorContractException($"{session.ModelName}: input '{input}' {node.ShapeText} is not explained by unet/config.json, which would need {needed}; the library will not guess its values.", input);
        }
    }

    private static int? Fixed(GraphNode node) => node.Dimensions[1] > 0 ? (int)node.Dimensions[1] : null;

    private static string? Text(JsonElement? config, string key) =>
        config is { ValueKind: JsonValueKind.Object } c && c.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static int? Number(JsonElement? config, string key) =>
        config is { ValueKind: JsonValueKind.Object } c && c.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var n) ? n : null;
}
