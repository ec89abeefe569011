using FmriToImage.Bundle;
using FmriToImage.Diffusion;
using FmriToImage.Models;

namespace FmriToImage.Pipelines;

/// <summary>
/// The networks of a bundle wrapped once for the pipelines, with the latent geometry and scheduler config they
/// share. Built by <see cref="BrainDecoder"/>; components a bundle lacks are null and the pipelines that need them are
/// unavailable.
/// </summary>
internal sealed class DecoderComponents
{
    public DecoderComponents(ModelBundle bundle)
    {
        Bundle = bundle;
        VoxelEncoders = VoxelEncoder.FromBundle(bundle);
        VaeDecoder = VaeDecoder.FromBundle(bundle);
        ImageEncoder = bundle.ImageEncoder is null ? null : ClipImageEncoder.FromBundle(bundle);
        TextEncoder = bundle.TextEncoder is null ? null : ClipTextEncoder.FromBundle(bundle);
        Captioner = bundle.CaptionerVision is null || bundle.CaptionerDecoder is null ? null : Captioner.FromBundle(bundle);
        SchedulerConfig = DdimSchedulerConfig.FromJson(File.ReadAllText(bundle.ResolvePath("scheduler/scheduler_config.json")));
        (LatentHeight, LatentWidth) = LatentSize(bundle, VaeDecoder, VoxelEncoders);
        TokenWidth = (int?)bundle.Unet?.ConfigNumber("cross_attention_dim");
    }

    public ModelBundle Bundle { get; }

    public IReadOnlyList<VoxelEncoder> VoxelEncoders { get; }

    public VaeDecoder VaeDecoder { get; }

    public ClipImageEncoder? ImageEncoder { get; }

    public ClipTextEncoder? TextEncoder { get; }

    public Captioner? Captioner { get; }

    public DdimSchedulerConfig SchedulerConfig { get; }

    public int LatentChannels => VaeDecoder.LatentChannels;

    public int LatentHeight { get; }

    public int LatentWidth { get; }

    public int LatentLength => LatentChannels * LatentHeight * LatentWidth;

    public int? TokenWidth { get; }

    /// <summary>A UNet wrapper with its own bound buffers: one per reconstruction, so concurrent calls never share them.</summary>
    private UNet CreateUNet() =>
        new(Bundle.Unet!.Session, LatentChannels, LatentHeight, LatentWidth, TokenWidth);

    /// <summary>
    /// Runs the denoising loop for <paramref name="request"/> with a UNet wrapper of its own (so concurrent calls never
    /// share bound buffers) and returns the final scaled latents.
    /// </summary>
    public float[] Diffuse(DiffusionRequest request, CancellationToken cancellationToken)
    {
        using var unet = CreateUNet();
        var sampler = new Sampler(new DdimScheduler(SchedulerConfig), unet);
        return sampler.Sample(request, cancellationToken: cancellationToken);
    }

    /// <summary>The bundle's defaults for <paramref name="pipeline"/>, or library defaults when the manifest has none.</summary>
    public PipelineDefaults DefaultsFor(ReconstructionPipeline pipeline)
    {
        var key = pipeline == ReconstructionPipeline.CaptionImg2Img ? "caption_img2img" : "unclip";
        return Bundle.Decoder?.Pipelines.GetValueOrDefault(key) ?? new PipelineDefaults();
    }

    /// <summary>Decodes scaled latents [batch, C, h, w] to images.</summary>
    public Imaging.RgbImage[] DecodeImages(ReadOnlySpan<float> latents, int batch, CancellationToken cancellationToken) =>
        Imaging.ImageTensor.FromNchw(VaeDecoder.Decode(latents, batch, LatentHeight, LatentWidth, cancellationToken), Imaging.ImageNormalization.SignedUnit);

    /// <summary>The image embeddings [count × E] of <paramref name="images"/>, and E.</summary>
    public (float[] Embeddings, int Dimension) EmbedImages(IReadOnlyList<Imaging.RgbImage> images, CancellationToken cancellationToken)
    {
        var encoding = ImageEncoder!.Encode(images, cancellationToken);
        var embeddings = encoding.Embeddings
            ?? throw new BundleContractException(Bundle.RootPath, ["image_encoder/model.onnx: voting and best-of-N selection need its 'image_embeds' output."]);
        return (embeddings.ToArray(), (int)embeddings.Lengths[1]);
    }

    private static (int Height, int Width) LatentSize(ModelBundle bundle, VaeDecoder vae, IReadOnlyList<VoxelEncoder> encoders)
    {
        // A low-level voxel encoder fixes the latent size it predicts; otherwise the VAE's sample size says it.
        foreach (var encoder in encoders.Where(e => e.Entry.Role == VoxelEncoderRole.VaeLatent))
        {
            var latent = bundle.VoxelEncoders.First(v => v.Entry.Name == encoder.Name).Component.Session.Outputs.First(o => o.Name == "latent");
            if (latent.Rank == 4 && latent.Dimensions[2] > 0 && latent.Dimensions[3] > 0)
            {
                return ((int)latent.Dimensions[2], (int)latent.Dimensions[3]);
            }
        }

        var size = bundle.VaeDecoder!.ConfigNumber("sample_size")
            ?? throw new BundleContractException(bundle.RootPath, ["vae_decoder/config.json: no 'sample_size', and no low-level voxel encoder fixes the latent size."]);
        return ((int)size / vae.DownsamplingFactor, (int)size / vae.DownsamplingFactor);
    }
}
