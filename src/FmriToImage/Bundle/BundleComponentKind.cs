namespace FmriToImage.Bundle;

/// <summary>The kinds of network a bundle holds; each kind has a fixed file location and contract (docs/model-bundle.md).</summary>
public enum BundleComponentKind
{
    /// <summary><c>text_encoder/model.onnx</c>: input_ids → last_hidden_state [, text_embeds | pooler_output].</summary>
    TextEncoder,

    /// <summary><c>image_encoder/model.onnx</c>: pixel_values → image_embeds and/or last_hidden_state tokens.</summary>
    ImageEncoder,

    /// <summary><c>unet/model.onnx</c>: sample, timestep, encoder_hidden_states → out_sample.</summary>
    Unet,

    /// <summary><c>vae_encoder/model.onnx</c>: sample → latent_sample | latent_parameters (mean ‖ logvar).</summary>
    VaeEncoder,

    /// <summary><c>vae_decoder/model.onnx</c>: latent_sample → sample.</summary>
    VaeDecoder,

    /// <summary><c>captioner/vision.onnx</c>: pixel_values → image_embeds [batch, P, D].</summary>
    CaptionerVision,

    /// <summary><c>captioner/decoder.onnx</c>: input_ids, image_embeds [, attention_mask] → logits [batch, L, V].</summary>
    CaptionerDecoder,

    /// <summary>
    /// <c>prior/model.onnx</c> (optional, with <c>prior/scheduler_config.json</c>): sample [batch, T, D], timestep,
    /// encoder_hidden_states [batch, T, D] (the brain tokens) → out_sample [batch, T, D].
    /// </summary>
    Prior,

    /// <summary><c>voxel_encoders/*.onnx</c>: voxels → a VAE latent or image tokens, per <see cref="VoxelEncoderRole"/>.</summary>
    VoxelEncoder,

    /// <summary>
    /// <c>generator/model.onnx</c> (optional): one-shot generator, clip_embedding [batch, E] and z [batch, Z] → image
    /// [batch, 3, H, W] in [−1, 1] (the LAFITE / StyleGAN2 contract; the ClipGenerator pipeline).
    /// </summary>
    Generator,

    /// <summary>
    /// <c>captioner/token_converter.onnx</c> (optional; <c>captioner/config.json</c> <c>vision_source</c> "image_tokens"):
    /// image_tokens [batch, T, D] → image_embeds [batch, P, Dc], the captioner decoder's vision input (MindEye2's bigG→L
    /// converter).
    /// </summary>
    CaptionerTokenConverter,

    /// <summary>
    /// Format 2 (shared-subject) bundles: a subject's adapter graph (<c>subjects/&lt;id&gt;/…onnx</c>): voxels
    /// [batch, voxel_count] → the shared space [batch, H].
    /// </summary>
    SubjectAdapter,
}
