namespace FmriToImage.Reconstructions;

/// <summary>The published reconstruction methods a <c>BrainDecoder</c> runs.</summary>
public enum ReconstructionPipeline
{
    /// <summary>
    /// The seed student pipeline: for each bagged low-level voxel encoder, voxels → VAE latent → low-level image →
    /// caption → img2img from the low-level latent conditioned on the caption; CLIP voting picks the model whose final
    /// image stays closest to its own low-level image.
    /// </summary>
    CaptionImg2Img,

    /// <summary>
    /// MindEye / Brain-Diffuser style: voxels → image-encoder tokens → UNet conditioned on them (img2img from the
    /// low-level latent when the bundle has a low-level encoder); of N samples, the one whose image embedding is
    /// closest to the brain's predicted embedding wins.
    /// </summary>
    Unclip,

    /// <summary>
    /// fMRI → CLIP → one-shot generator (the LAFITE / StyleGAN2 approach, no diffusion loop): voxels → the brain's
    /// predicted CLIP embedding (the high-level voxel encoder's <c>image_embedding</c>) → the bundle's generator, once
    /// per noise draw z (K = <see cref="ReconstructionRequest.Samples"/> draws); the draw whose image embedding is closest
    /// (cosine) to the brain's embedding wins.
    /// </summary>
    ClipGenerator,

    /// <summary>
    /// MindEye2's decoding half: voxels → image tokens (through the diffusion prior when the bundle has one) → unCLIP
    /// image (best of N by the brain's embedding) → caption (from the tokens or the unCLIP image, as the bundle's
    /// captioner says) → refinement (img2img of the unCLIP image with the caption) → blend with the blurry low-level
    /// image; refinement and blend are optional per bundle.
    /// </summary>
    MindEye2,

    /// <summary>
    /// Vis-Dec style: voxels → UNet context tokens (and optionally a time-embedding term) from a conditioning-token voxel
    /// encoder, straight into cross-attention — no caption, no image tokens; N samples from noise with classifier-free
    /// guidance on the pipeline's scheduler (PLMS for Vis-Dec); the sample closest to the encoder's predicted image
    /// embedding wins when it predicts one, else the first.
    /// </summary>
    Conditioned,
}
