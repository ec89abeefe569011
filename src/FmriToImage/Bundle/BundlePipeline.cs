namespace FmriToImage.Bundle;

/// <summary>The pipelines a bundle can serve; each needs a set of components (see <see cref="ModelBundle.MissingFor"/>).</summary>
public enum BundlePipeline
{
    /// <summary>Plain text-to-image diffusion: tokenizer, text encoder, UNet, VAE decoder, scheduler. Any Stable Diffusion export.</summary>
    TextToImage,

    /// <summary>
    /// The seed student pipeline: low-level voxel encoders → VAE, captioner, text encoder, img2img UNet, and CLIP voting
    /// with the image encoder.
    /// </summary>
    CaptionImg2Img,

    /// <summary>MindEye / Brain-Diffuser style: voxels → image tokens (→ prior) → image-conditioned UNet, best-of-N by image embedding.</summary>
    Unclip,
}
