using FmriToImage.Imaging;
using FmriToImage.Onnx;

namespace FmriToImage.Models;

/// <summary>
/// A CLIP image encoder export with its preprocessing: images → the projected embedding (<c>image_embeds</c>, for
/// voting, retrieval and best-of-N selection) and/or token states (<c>last_hidden_state</c>, the unCLIP conditioning).
/// Size, crop, mean and std come from the bundle's <c>image_encoder/preprocessor_config.json</c>.
/// </summary>
/// <remarks>Thread-safe (each call has its own values); the session belongs to the bundle.</remarks>
internal sealed class ClipImageEncoder
{
    private readonly GraphSession _session;
    private readonly string[] _outputs;

    /// <summary>Wraps an image encoder session and its preprocessing.</summary>
    /// <param name="session">The session (not owned): input <c>pixel_values</c>.</param>
    /// <param name="preprocessor">The preprocessing the encoder was trained with.</param>
    /// <exception cref="TensorContractException">The graph has no <c>pixel_values</c> input or neither output.</exception>
    internal ClipImageEncoder(GraphSession session, ImagePreprocessor preprocessor)
    {
        _session = session ?? throw new ArgumentNullException(nameof(session));
        Preprocessor = preprocessor ?? throw new ArgumentNullException(nameof(preprocessor));
        if (session.Inputs.All(i => i.Name != "pixel_values"))
        {
            throw new TensorContractException($"{session.ModelName}: no input 'pixel_values'; it has {string.Join(", ", session.Inputs)}.", "pixel_values");
        }

        _outputs = session.Outputs.Select(o => o.Name).Where(n => n is "image_embeds" or "last_hidden_state").ToArray();
        if (_outputs.Length == 0)
        {
            throw new TensorContractException($"{session.ModelName}: neither 'image_embeds' nor 'last_hidden_state' among its outputs {string.Join(", ", session.Outputs)}.");
        }
    }

    /// <summary>The preprocessing applied to every image.</summary>
    public ImagePreprocessor Preprocessor { get; }

    /// <summary>Preprocesses and encodes <paramref name="images"/>.</summary>
    /// <param name="images">One image per batch element, any size.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The embeddings and/or tokens the graph produces.</returns>
    public ImageEncoding Encode(IReadOnlyList<RgbImage> images, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
        {
            throw new ArgumentException("At least one image is needed.", nameof(images));
        }

        using var input = PixelValues.Of(Preprocessor, images);
        using var results = _session.Run([new("pixel_values", input)], _outputs, cancellationToken: cancellationToken);
        var embeddings = _outputs.Contains("image_embeds") ? ShapedValues.From(results[Array.IndexOf(_outputs, "image_embeds")], _session.ModelName, "image_embeds") : null;
        var tokens = _outputs.Contains("last_hidden_state") ? ShapedValues.From(results[Array.IndexOf(_outputs, "last_hidden_state")], _session.ModelName, "last_hidden_state") : null;
        return new ImageEncoding(embeddings, tokens);
    }
}
