using System.Numerics.Tensors;
using FmriToImage.Imaging;
using FmriToImage.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Models;

/// <summary>
/// A VAE decoder export (<c>latent_sample</c> → <c>sample</c>): turns scaled latents — what the UNet and the voxel
/// encoders work in — into images. Divides by the scaling factor the bundle's config records (never a constant).
/// </summary>
/// <remarks>Thread-safe (each call has its own values); the session belongs to the bundle.</remarks>
internal sealed class VaeDecoder
{
    /// <summary>
    /// Output pixels one decoder run may make: 512² = one Stable Diffusion image. A VAE decoder's activations grow with
    /// its output (SD's: 128 channels at full resolution, 134 MB per 512² image per tensor in float32) and ONNX
    /// Runtime's arena keeps the largest run's blocks, so eight 512² images decoded together would hold gigabytes for
    /// the session's life. Larger batches are split into runs of at most this many pixels (one image per run at 512²,
    /// 64 at the demo's 64²); measured in docs/performance.md ("VAE decoding in runs").
    /// </summary>
    internal const long DefaultPixelsPerRun = 512 * 512;

    private readonly GraphSession _session;
    private readonly long _pixelsPerRun;

    /// <summary>Wraps a VAE decoder session.</summary>
    /// <param name="session">The session (not owned).</param>
    /// <param name="scalingFactor">The latent scale (diffusers' <c>scaling_factor</c>, e.g. 0.18215 for SD 1.5); must be positive.</param>
    /// <param name="latentChannels">C, the latent channel count.</param>
    /// <param name="downsamplingFactor">Image pixels per latent pixel along each side (8 for SD).</param>
    /// <param name="pixelsPerRun">Output pixels one run may make (<see cref="DefaultPixelsPerRun"/>); a larger image still runs alone.</param>
    internal VaeDecoder(GraphSession session, double scalingFactor, int latentChannels, int downsamplingFactor, long pixelsPerRun = DefaultPixelsPerRun)
    {
        _session = session ?? throw new ArgumentNullException(nameof(session));
        if (!(scalingFactor > 0) || double.IsInfinity(scalingFactor))
        {
            throw new ArgumentOutOfRangeException(nameof(scalingFactor), scalingFactor, "The VAE scaling factor must be a positive number.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(latentChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(downsamplingFactor, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(pixelsPerRun, 1);
        _pixelsPerRun = pixelsPerRun;
        ScalingFactor = scalingFactor;
        LatentChannels = latentChannels;
        DownsamplingFactor = downsamplingFactor;
    }

    /// <summary>The latent scale: model latents = VAE latents × this.</summary>
    public double ScalingFactor { get; }

    /// <summary>Latent channels C.</summary>
    public int LatentChannels { get; }

    /// <summary>Image pixels per latent pixel along each side.</summary>
    public int DownsamplingFactor { get; }

    /// <summary>
    /// Decodes scaled latents [batch, C, h, w] to images [batch, 3, h·f, w·f] with values about [−1, 1], in one run
    /// (the pipelines decode through <see cref="DecodeImages"/>, which splits large batches; this serves tests and
    /// callers that want the raw tensor of a small batch).
    /// </summary>
    /// <param name="scaledLatents">The latents, row-major NCHW, as the UNet produces them (× scaling factor).</param>
    /// <param name="batch">The number of latents.</param>
    /// <param name="latentHeight">h.</param>
    /// <param name="latentWidth">w.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The images, NCHW, unclamped (diffusers' post-processing maps x to (x/2 + 0.5) clamped to [0, 1]).</returns>
    /// <exception cref="ArgumentException">The span's length is not batch·C·h·w.</exception>
    public Tensor<float> Decode(ReadOnlySpan<float> scaledLatents, int batch, int latentHeight, int latentWidth, CancellationToken cancellationToken = default)
    {
        using var outputs = Run(scaledLatents, batch, latentHeight, latentWidth, cancellationToken);
        return outputs[0].ToTensor<float>();
    }

    /// <summary>
    /// Decodes scaled latents [batch, C, h, w] straight to images, reading the graph's output where ONNX Runtime wrote
    /// it (no managed copy of the [batch, 3, H, W] output). The batch runs in pieces of at most the decoder's pixels per
    /// run (one 512² image per run; <see cref="DefaultPixelsPerRun"/>), so the decoder's activations stay those of one
    /// piece; the images equal <see cref="ImageTensor.FromNchw"/> of <see cref="Decode"/> within one grey level (a
    /// kernel may sum in another order for another batch size).
    /// </summary>
    /// <param name="scaledLatents">The latents, row-major NCHW, as the UNet produces them (× scaling factor).</param>
    /// <param name="batch">The number of latents.</param>
    /// <param name="latentHeight">h.</param>
    /// <param name="latentWidth">w.</param>
    /// <param name="normalization">The value range the VAE's output has (<see cref="ImageNormalization.SignedUnit"/>).</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>One image per latent.</returns>
    /// <exception cref="ArgumentException">The span's length is not batch·C·h·w.</exception>
    /// <exception cref="TensorContractException">The output is not [batch, 3, H, W].</exception>
    public RgbImage[] DecodeImages(ReadOnlySpan<float> scaledLatents, int batch, int latentHeight, int latentWidth, ImageNormalization normalization, CancellationToken cancellationToken = default)
    {
        CheckLength(scaledLatents, batch, latentHeight, latentWidth);
        var images = new RgbImage[batch];
        var perRun = ImagesPerRun(latentHeight, latentWidth);
        var latentsPerImage = LatentChannels * latentHeight * latentWidth;
        for (var first = 0; first < batch; first += perRun)
        {
            var count = Math.Min(perRun, batch - first);
            using var outputs = Run(scaledLatents.Slice(first * latentsPerImage, count * latentsPerImage), count, latentHeight, latentWidth, cancellationToken);
            var shape = outputs[0].GetTensorTypeAndShape().Shape;
            if (shape.Length != 4 || shape[0] != count || shape[1] != 3)
            {
                throw new TensorContractException($"{_session.ModelName}: output 'sample' is [{string.Join(", ", shape)}]; [{count}, 3, H, W] images were expected.", "sample");
            }

            var (height, width) = ((int)shape[2], (int)shape[3]);
            var block = 3 * height * width;
            var pixels = outputs[0].ReadData<float>();
            for (var i = 0; i < count; i++)
            {
                images[first + i] = ImageTensor.FromChw(pixels.Slice(i * block, block), width, height, normalization);
            }
        }

        return images;
    }

    /// <summary>How many latents of h × w one run decodes: as many as make at most the pixels per run, at least one.</summary>
    internal int ImagesPerRun(int latentHeight, int latentWidth)
    {
        var pixels = (long)latentHeight * DownsamplingFactor * latentWidth * DownsamplingFactor;
        return (int)Math.Clamp(_pixelsPerRun / Math.Max(pixels, 1), 1, int.MaxValue);
    }

    private void CheckLength(ReadOnlySpan<float> scaledLatents, int batch, int latentHeight, int latentWidth)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var expected = (long)batch * LatentChannels * latentHeight * latentWidth;
        if (scaledLatents.Length != expected)
        {
            throw new ArgumentException($"{_session.ModelName}: {batch} latents of {LatentChannels}×{latentHeight}×{latentWidth} need {expected} floats, got {scaledLatents.Length}.", nameof(scaledLatents));
        }
    }

    private IDisposableReadOnlyCollection<OrtValue> Run(ReadOnlySpan<float> scaledLatents, int batch, int latentHeight, int latentWidth, CancellationToken cancellationToken)
    {
        CheckLength(scaledLatents, batch, latentHeight, latentWidth);
        using var latent = AlignedTensor.Zeroed<float>([batch, LatentChannels, latentHeight, latentWidth]);
        TensorPrimitives.Multiply(scaledLatents, (float)(1.0 / ScalingFactor), latent.GetTensorMutableDataAsSpan<float>());
        return _session.Run([new("latent_sample", latent)], ["sample"], cancellationToken: cancellationToken);
    }
}
