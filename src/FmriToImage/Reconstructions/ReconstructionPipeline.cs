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
    /// Vis-Dec style: voxels → UNet context tokens (and optionally a time-embedding term) from a conditioning-token voxel
    /// encoder, straight into cross-attention — no caption, no image tokens; N samples from noise with classifier-free
    /// guidance on the pipeline's scheduler (PLMS for Vis-Dec); the sample closest to the encoder's predicted image
    /// embedding wins when it predicts one, else the first.
    /// </summary>
    Conditioned,
}
