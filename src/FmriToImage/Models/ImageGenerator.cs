using FmriToImage.Imaging;
using FmriToImage.Onnx;

namespace FmriToImage.Models;

/// <summary>
/// A one-shot generator export (<c>generator/model.onnx</c>, the LAFITE / StyleGAN2 contract): <c>clip_embedding</c>
/// [batch, E] and <c>z</c> [batch, Z] (float32, Z fixed by the graph) → <c>image</c> [batch, 3, H, W] with values in
/// [−1, 1] (mapped to pixels as (x + 1)/2, clamped), in one pass — no diffusion loop.
/// </summary>
/// <remarks>Thread-safe (each call has its own values); the session belongs to the bundle.</remarks>
internal sealed class ImageGenerator
{
    /// <summary>The input the CLIP embedding feeds.</summary>
    public const string EmbeddingInput = "clip_embedding";

    /// <summary>The noise input.</summary>
    public const string NoiseInput = "z";

    /// <summary>The image output.</summary>
    public const string ImageOutput = "image";

    private readonly GraphSession _session;

    /// <summary>Wraps a generator session after checking its contract.</summary>
    /// <exception cref="TensorContractException">As <see cref="CheckContract"/>.</exception>
    public ImageGenerator(GraphSession session)
    {
        _session = session ?? throw new ArgumentNullException(nameof(session));
        (EmbeddingWidth, NoiseWidth) = CheckContract(session);
        MaxBatch = new[] { Node(session.Inputs, EmbeddingInput), Node(session.Inputs, NoiseInput), Node(session.Outputs, ImageOutput) }.Min(BatchAxis.Limit);
    }

    /// <summary>E when the graph fixes it, else null (any width the brain's embedding has).</summary>
    public int? EmbeddingWidth { get; }

    /// <summary>Z, the noise width (the graph must fix it: the pipeline draws that many numbers per image).</summary>
    public int NoiseWidth { get; }

    /// <summary>The most images one run makes: 1 when the export fixes a batch axis at 1.</summary>
    public int MaxBatch { get; }

    /// <summary>
    /// Checks the contract from the session's metadata alone: float32 inputs <c>clip_embedding</c> [batch, E] and
    /// <c>z</c> [batch, Z] with Z fixed, and a float32 output <c>image</c> [batch, 3, H, W] (3 where fixed). Each
    /// error names the input or output.
    /// </summary>
    /// <returns>(E when fixed, Z).</returns>
    /// <exception cref="TensorContractException">An input or output is missing, of another element type or rank, or Z is dynamic.</exception>
    internal static (int? EmbeddingWidth, int NoiseWidth) CheckContract(GraphSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        var embedding = Require(session, session.Inputs, EmbeddingInput, "input", 2, "[batch, E], the CLIP embedding");
        var noise = Require(session, session.Inputs, NoiseInput, "input", 2, "[batch, Z], the noise vector");
        var image = Require(session, session.Outputs, ImageOutput, "output", 4, "[batch, 3, H, W], the image in [-1, 1]");
        if (noise.Dimensions[1] <= 0)
        {
            throw new TensorContractException($"{session.ModelName}: input '{NoiseInput}' is {noise.ShapeText}; its width Z must be fixed by the graph (the pipeline draws Z numbers per image).", NoiseInput);
        }

        if (image.Dimensions[1] > 0 && image.Dimensions[1] != 3)
        {
            throw new TensorContractException($"{session.ModelName}: output '{ImageOutput}' is {image.ShapeText}; RGB images [batch, 3, H, W] were expected.", ImageOutput);
        }

        var extra = session.Inputs.Where(i => i.Name is not EmbeddingInput and not NoiseInput).Select(i => i.Name).ToArray();
        if (extra.Length > 0)
        {
            throw new TensorContractException($"{session.ModelName}: has inputs {string.Join(", ", extra.Select(n => $"'{n}'"))} besides '{EmbeddingInput}' and '{NoiseInput}'; a generator takes only those two.", extra[0]);
        }

        return (embedding.Dimensions[1] > 0 ? (int)embedding.Dimensions[1] : null, (int)noise.Dimensions[1]);
    }

    /// <summary>
    /// Generates <paramref name="count"/> images, image k from embedding row k and noise row k, in runs of at most
    /// <see cref="MaxBatch"/>.
    /// </summary>
    /// <param name="embeddings">count × E floats.</param>
    /// <param name="noise">count × <see cref="NoiseWidth"/> floats.</param>
    /// <param name="count">How many images.</param>
    /// <param name="cancellationToken">Cancels between and during runs.</param>
    /// <exception cref="ArgumentException">A span's length does not fit <paramref name="count"/>, or E differs from the graph's.</exception>
    /// <exception cref="TensorContractException">The output is not [count, 3, H, W].</exception>
    public RgbImage[] Generate(ReadOnlySpan<float> embeddings, ReadOnlySpan<float> noise, int count, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (embeddings.Length % count != 0 || (EmbeddingWidth is { } fixedWidth && embeddings.Length != (long)count * fixedWidth))
        {
            throw new ArgumentException($"{_session.ModelName}: {embeddings.Length} embedding floats for {count} images; input '{EmbeddingInput}' takes [{count}, {EmbeddingWidth?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "E"}].", nameof(embeddings));
        }

        if (noise.Length != (long)count * NoiseWidth)
        {
            throw new ArgumentException($"{_session.ModelName}: {noise.Length} noise floats for {count} images; input '{NoiseInput}' takes [{count}, {NoiseWidth}].", nameof(noise));
        }

        var width = embeddings.Length / count;
        var images = new RgbImage[count];
        foreach (var (start, length) in BatchAxis.Slices(count, MaxBatch))
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var e = AlignedTensor.Zeroed<float>([length, width]);
            using var z = AlignedTensor.Zeroed<float>([length, NoiseWidth]);
            embeddings.Slice(start * width, length * width).CopyTo(e.GetTensorMutableDataAsSpan<float>());
            noise.Slice(start * NoiseWidth, length * NoiseWidth).CopyTo(z.GetTensorMutableDataAsSpan<float>());
            using var outputs = _session.Run([new(EmbeddingInput, e), new(NoiseInput, z)], [ImageOutput], cancellationToken: cancellationToken);
            var shape = outputs[0].GetTensorTypeAndShape().Shape;
            if (shape.Length != 4 || shape[0] != length || shape[1] != 3)
            {
                throw new TensorContractException($"{_session.ModelName}: output '{ImageOutput}' is [{string.Join(", ", shape)}]; [{length}, 3, H, W] images were expected.", ImageOutput);
            }

            var (height, imageWidth) = ((int)shape[2], (int)shape[3]);
            var block = 3 * height * imageWidth;
            var pixels = outputs[0].ReadData<float>();
            for (var i = 0; i < length; i++)
            {
                images[start + i] = ImageTensor.FromChw(pixels.Slice(i * block, block), imageWidth, height, ImageNormalization.SignedUnit);
            }
        }

        return images;
    }

    private static GraphNode Node(IReadOnlyList<GraphNode> nodes, string name) => nodes.First(n => n.Name == name);

    private static GraphNode Require(GraphSession session, IReadOnlyList<GraphNode> nodes, string name, string what, int rank, string expected)
    {
        var node = nodes.FirstOrDefault(n => n.Name == name)
            ?? throw new TensorContractException($"{session.ModelName}: has no {what} '{name}' {expected}; its {what}s are {string.Join(", ", nodes.Select(n => $"'{n.Name}'"))}.", name);
        if (!node.IsTensor || node.ElementType != TensorElementType.Float || node.Rank != rank)
        {
            throw new TensorContractException($"{session.ModelName}: {what} '{name}' is {node}; float32 {expected} was expected.", name);
        }

        return node;
    }
}
