namespace FmriToImage.Bundle;

/// <summary>
/// Where each file of a bundle lives (the diffusers/optimum layout plus the brain-specific files): layout only — what
/// each pipeline needs of it is the pipelines' table (<c>Pipelines/PipelineTable</c>), not the bundle's.
/// </summary>
internal static class BundleLayout
{
    /// <summary>The tokenizer's vocabulary (CLIP BPE).</summary>
    public const string TokenizerVocab = "tokenizer/vocab.json";

    /// <summary>The tokenizer's merges (CLIP BPE).</summary>
    public const string TokenizerMerges = "tokenizer/merges.txt";

    /// <summary>The captioner's WordPiece vocabulary.</summary>
    public const string CaptionerVocab = "captioner/vocab.txt";

    /// <summary>The image encoder's preprocessing.</summary>
    public const string ImageEncoderPreprocessor = "image_encoder/preprocessor_config.json";

    /// <summary>The captioner's preprocessing.</summary>
    public const string CaptionerPreprocessor = "captioner/preprocessor_config.json";

    /// <summary>The standard components, in a fixed order: kind, folder, graph file.</summary>
    public static IReadOnlyList<(BundleComponentKind Kind, string Folder, string File)> StandardComponents { get; } =
    [
        (BundleComponentKind.TextEncoder, "text_encoder", "model.onnx"),
        (BundleComponentKind.ImageEncoder, "image_encoder", "model.onnx"),
        (BundleComponentKind.Unet, "unet", "model.onnx"),
        (BundleComponentKind.VaeEncoder, "vae_encoder", "model.onnx"),
        (BundleComponentKind.VaeDecoder, "vae_decoder", "model.onnx"),
        (BundleComponentKind.CaptionerVision, "captioner", "vision.onnx"),
        (BundleComponentKind.CaptionerDecoder, "captioner", "decoder.onnx"),
        (BundleComponentKind.Prior, "prior", "model.onnx"),
        (BundleComponentKind.Generator, "generator", "model.onnx"),
        (BundleComponentKind.CaptionerTokenConverter, "captioner", "token_converter.onnx"),
    ];

    /// <summary>The graph's path relative to the bundle folder (e.g. "unet/model.onnx") of a standard component.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="kind"/> is <see cref="BundleComponentKind.VoxelEncoder"/> (their files are named by the manifest).</exception>
    public static string PathOf(BundleComponentKind kind)
    {
        foreach (var (k, folder, file) in StandardComponents)
        {
            if (k == kind)
            {
                return $"{folder}/{file}";
            }
        }

        throw new ArgumentOutOfRangeException(nameof(kind), kind, "voxel encoders have no fixed path; fmri_decoder.json names their files.");
    }
}
