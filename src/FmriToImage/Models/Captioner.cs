using System.Diagnostics;
using FmriToImage.Imaging;
using FmriToImage.Onnx;
using FmriToImage.Text;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Models;

/// <summary>
/// A BLIP-style captioner: a vision encoder (<c>captioner/vision.onnx</c>: <c>pixel_values</c> → <c>image_embeds</c>)
/// and an autoregressive text decoder (<c>captioner/decoder.onnx</c>: <c>input_ids</c>, <c>image_embeds</c>
/// [, <c>attention_mask</c>] → <c>logits</c>), decoded greedily from the start token until the end token or the
/// maximum length. Token ids, the length limit and the preprocessing come from <c>captioner/config.json</c>,
/// <c>captioner/vocab.txt</c> and <c>captioner/preprocessor_config.json</c>.
/// </summary>
/// <remarks>
/// The decoder is run on the whole prefix each step (exports without a key/value cache), for all images' open
/// captions at once; for BLIP-base's 20-token captions that is at most 20 runs per batch of images. Thread-safe (each call has its own values); the sessions belong to the bundle.
/// </remarks>
internal sealed class Captioner
{
    private readonly GraphSession _vision;
    private readonly GraphSession _decoder;
    private readonly GraphSession? _tokenConverter;
    private readonly TensorElementType? _maskType;
    private readonly TensorElementType _idType;
    private readonly int _decoderBatchLimit;

    /// <summary>Wraps the two captioner sessions.</summary>
    /// <param name="vision">The vision encoder session (not owned).</param>
    /// <param name="decoder">The text decoder session (not owned).</param>
    /// <param name="tokenizer">The WordPiece vocabulary that decodes the ids.</param>
    /// <param name="preprocessor">The vision encoder's preprocessing.</param>
    /// <param name="startTokenId">The id generation starts from (BLIP: [DEC] = 30522).</param>
    /// <param name="endTokenId">The id that ends a caption (BLIP: [SEP] = 102).</param>
    /// <param name="maxLength">The most tokens a caption has, the start token included (BLIP's default: 20).</param>
    /// <param name="tokenConverter">
    /// The token converter (<c>captioner/token_converter.onnx</c>: <c>image_tokens</c> → <c>image_embeds</c>) when the
    /// captioner captions predicted image tokens (<see cref="CaptionTokens"/>), else null (not owned).
    /// </param>
    /// <exception cref="TensorContractException">The decoder has no <c>input_ids</c>, its ids are not int64/int32, or its optional <c>attention_mask</c> is not int64, int32 or float32.</exception>
    internal Captioner(GraphSession vision, GraphSession decoder, WordPieceTokenizer tokenizer, ImagePreprocessor preprocessor, int startTokenId, int endTokenId, int maxLength, GraphSession? tokenConverter = null)
    {
        _tokenConverter = tokenConverter;
        _vision = vision ?? throw new ArgumentNullException(nameof(vision));
        _decoder = decoder ?? throw new ArgumentNullException(nameof(decoder));
        Tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        Preprocessor = preprocessor ?? throw new ArgumentNullException(nameof(preprocessor));
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        StartTokenId = startTokenId;
        EndTokenId = endTokenId;
        MaxLength = maxLength;
        _maskType = decoder.Inputs.FirstOrDefault(i => i.Name == "attention_mask")?.ElementType;
        var ids = decoder.Inputs.FirstOrDefault(i => i.Name == "input_ids")
            ?? throw new TensorContractException($"{decoder.ModelName}: no input 'input_ids'; it has {string.Join(", ", decoder.Inputs)}.", "input_ids");
        _idType = ids.ElementType;
        if (_idType is not (TensorElementType.Int64 or TensorElementType.Int32))
        {
            throw new TensorContractException($"{decoder.ModelName}: input 'input_ids' is {_idType}; int64 or int32 token ids were expected.", "input_ids");
        }

        if (_maskType is { } mask && mask is not (TensorElementType.Int64 or TensorElementType.Int32 or TensorElementType.Float))
        {
            throw new TensorContractException($"{decoder.ModelName}: input 'attention_mask' is {mask}; int64, int32 or float32 was expected.", "attention_mask");
        }

        _decoderBatchLimit = BatchAxis.Limit(ids);
    }

    /// <summary>Whether the captioner's vision input is predicted image tokens (<see cref="CaptionTokens"/>) rather than an image.</summary>
    public bool CaptionsFromTokens => _tokenConverter is not null;

    /// <summary>
    /// Captions predicted image tokens: the token converter maps them to the decoder's <c>image_embeds</c>, which are
    /// decoded greedily as for an image (MindEye2: the prior's bigG tokens → the bigG→L converter → GIT).
    /// </summary>
    /// <param name="tokens">batch × T × D floats.</param>
    /// <param name="batch">The number of token sets.</param>
    /// <param name="tokenCount">T.</param>
    /// <param name="tokenWidth">D.</param>
    /// <param name="cancellationToken">Cancels between and during runs.</param>
    /// <exception cref="InvalidOperationException">The captioner has no token converter.</exception>
    /// <exception cref="ArgumentException">The floats are not batch × T × D.</exception>
    public IReadOnlyList<string> CaptionTokens(ReadOnlySpan<float> tokens, int batch, int tokenCount, int tokenWidth, CancellationToken cancellationToken = default)
    {
        var converter = _tokenConverter ?? throw new InvalidOperationException("This captioner has no token converter (captioner/token_converter.onnx); it captions images.");
        if (batch < 1 || tokens.Length != (long)batch * tokenCount * tokenWidth)
        {
            throw new ArgumentException($"{tokens.Length} floats are not {batch} × {tokenCount} × {tokenWidth} image tokens.", nameof(tokens));
        }

        using var input = AlignedTensor.Copy(tokens, [batch, tokenCount, tokenWidth]);
        using var converted = converter.Run([new("image_tokens", input)], ["image_embeds"], cancellationToken: cancellationToken);
        var ids = new int[batch][];
        foreach (var (start, count) in BatchAxis.Slices(batch, _decoderBatchLimit))
        {
            Decode(converted[0], start, count, ids, cancellationToken);
        }

        return ids.Select(Text).ToArray();
    }

    /// <summary>The vocabulary that turns ids into text.</summary>
    public WordPieceTokenizer Tokenizer { get; }

    /// <summary>The vision encoder's preprocessing.</summary>
    public ImagePreprocessor Preprocessor { get; }

    /// <summary>The id generation starts from.</summary>
    public int StartTokenId { get; }

    /// <summary>The id that ends a caption.</summary>
    public int EndTokenId { get; }

    /// <summary>The most tokens a caption has, the start token included.</summary>
    public int MaxLength { get; }

    /// <summary>Captions each image by greedy decoding.</summary>
    /// <param name="images">The images.</param>
    /// <param name="cancellationToken">Cancels between and during runs.</param>
    /// <returns>One caption per image: the ids between the start and the end token, decoded with special tokens removed.</returns>
    public IReadOnlyList<string> Caption(IReadOnlyList<RgbImage> images, CancellationToken cancellationToken = default) =>
        CaptionIds(images, cancellationToken).Select(Text).ToArray();

    /// <summary>A caption's text: the ids between the start and the end token, special tokens removed.</summary>
    private string Text(int[] ids) => Tokenizer.Decode(ids.AsSpan(1, ids.Length - (ids[^1] == EndTokenId ? 2 : 1)));

    /// <summary>
    /// Greedy-decodes each image to token ids (start token first; the end token, when reached, last). The images are
    /// decoded together, one decoder run per token for all captions still open (one image at a time when the decoder
    /// export fixes its batch axis at 1).
    /// </summary>
    /// <param name="images">The images.</param>
    /// <param name="cancellationToken">Cancels between and during runs.</param>
    /// <returns>The ids of each caption.</returns>
    public IReadOnlyList<int[]> CaptionIds(IReadOnlyList<RgbImage> images, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var input = PixelValues.Of(Preprocessor, images);
        using var embedded = _vision.Run([new("pixel_values", input)], ["image_embeds"], cancellationToken: cancellationToken);
        var embeds = embedded[0];
        var captions = new int[images.Count][];
        foreach (var (start, count) in BatchAxis.Slices(images.Count, _decoderBatchLimit))
        {
            Decode(embeds, start, count, captions, cancellationToken);
        }

        return captions;
    }

    /// <summary>Greedy decoding of images start … start + count − 1, all open captions in one run per token.</summary>
    private void Decode(OrtValue embeds, int start, int count, int[][] captions, CancellationToken cancellationToken)
    {
        var embedsShape = embeds.GetShape();
        var tokensPerImage = embedsShape[1];
        var width = embedsShape[2];
        var perImage = (int)(tokensPerImage * width);
        var ids = new List<int>[count];
        for (var i = 0; i < count; i++)
        {
            ids[i] = [StartTokenId];
        }

        var open = Enumerable.Range(0, count).ToList();
        OrtValue? imageEmbeds = null;
        try
        {
            while (open.Count > 0 && ids[open[0]].Count < MaxLength)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var length = ids[open[0]].Count; // every open caption has the same length
                if (imageEmbeds is null || imageEmbeds.GetShape()[0] != open.Count)
                {
                    imageEmbeds?.Dispose();
                    imageEmbeds = AlignedTensor.Zeroed<float>([open.Count, tokensPerImage, width]);
                    var rows = imageEmbeds.GetTensorMutableDataAsSpan<float>();
                    var all = embeds.GetTensorMutableDataAsSpan<float>();
                    for (var r = 0; r < open.Count; r++)
                    {
                        all.Slice((start + open[r]) * perImage, perImage).CopyTo(rows.Slice(r * perImage, perImage));
                    }
                }

                using var inputIds = IdTensor(open.Select(o => ids[o]).ToArray(), _idType, length);
                using var mask = _maskType is { } type ? OnesTensor(type, open.Count, length) : null;
                using var outputs = mask is not null
                    ? _decoder.Run([new("input_ids", inputIds), new("image_embeds", imageEmbeds), new("attention_mask", mask)], ["logits"], cancellationToken: cancellationToken)
                    : _decoder.Run([new("input_ids", inputIds), new("image_embeds", imageEmbeds)], ["logits"], cancellationToken: cancellationToken);
                var logits = outputs[0].GetTensorMutableDataAsSpan<float>();
                var vocabulary = (int)outputs[0].GetShape()[2];
                for (var r = 0; r < open.Count; r++)
                {
                    var last = logits.Slice(((r * length) + length - 1) * vocabulary, vocabulary);
                    ids[open[r]].Add(System.Numerics.Tensors.TensorPrimitives.IndexOfMax(last));
                }

                open.RemoveAll(o => ids[o][^1] == EndTokenId);
            }
        }
        finally
        {
            imageEmbeds?.Dispose();
        }

        for (var i = 0; i < count; i++)
        {
            captions[start + i] = ids[i].ToArray();
        }
    }

    /// <summary>Token ids [rows, length] in the element type the decoder declares, 64-byte aligned.</summary>
    private static OrtValue IdTensor(List<int>[] rows, TensorElementType type, int length) => type switch
    {
        TensorElementType.Int32 => IdTensor<int>(rows, length, v => v),
        TensorElementType.Float => IdTensor<float>(rows, length, v => v),
        TensorElementType.Int64 => IdTensor<long>(rows, length, v => v),
        _ => throw new UnreachableException($"element type {type} was refused in the constructor"),
    };

    /// <summary>An attention mask of ones, [rows, length], in the graph's element type (every open caption is unpadded).</summary>
    private static OrtValue OnesTensor(TensorElementType type, int rows, int length) => type switch
    {
        TensorElementType.Int32 => OnesTensor(rows, length, 1),
        TensorElementType.Float => OnesTensor(rows, length, 1f),
        TensorElementType.Int64 => OnesTensor(rows, length, 1L),
        _ => throw new UnreachableException($"element type {type} was refused in the constructor"),
    };

    private static OrtValue OnesTensor<T>(int rows, int length, T one)
        where T : unmanaged
    {
        var value = AlignedTensor.Zeroed<T>([rows, length]);
        value.GetTensorMutableDataAsSpan<T>().Fill(one);
        return value;
    }

    private static OrtValue IdTensor<T>(List<int>[] rows, int length, Func<int, T> convert)
        where T : unmanaged
    {
        var value = AlignedTensor.Zeroed<T>([rows.Length, length]);
        var span = value.GetTensorMutableDataAsSpan<T>();
        for (var r = 0; r < rows.Length; r++)
        {
            for (var k = 0; k < length; k++)
            {
                span[(r * length) + k] = convert(rows[r][k]);
            }
        }

        return value;
    }
}
