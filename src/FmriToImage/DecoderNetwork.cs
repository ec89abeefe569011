using FmriToImage.Bundle;

namespace FmriToImage;

/// <summary>One network of a decoder's bundle and where its session runs (<see cref="BrainDecoder.Networks"/>).</summary>
/// <param name="Name">Its folder (e.g. "unet") or, for a voxel encoder, its manifest name.</param>
/// <param name="Kind">What kind of network it is.</param>
/// <param name="RelativePath">Its graph's path relative to the bundle folder, e.g. "unet/model.onnx".</param>
/// <param name="ExecutionProviders">
/// The execution providers its session was created with, in ONNX Runtime's priority order, CPU last (e.g.
/// "CUDAExecutionProvider", "CPUExecutionProvider"; "(application hook)" where
/// <see cref="BrainDecoderOptions.ConfigureSession"/> appended its own).
/// </param>
/// <param name="ExecutionProviderFallbackReason">
/// Why it runs on CPU although CUDA was preferred, naming what is missing; null when it runs where it was asked to.
/// </param>
public sealed record DecoderNetwork(string Name, BundleComponentKind Kind, string RelativePath, IReadOnlyList<string> ExecutionProviders, string? ExecutionProviderFallbackReason)
{
    /// <summary>
    /// The intra-op thread count its session was created with, after <see cref="BrainDecoderOptions.ConfigureSession"/>;
    /// 0 = one per core. With <see cref="BrainDecoderOptions.IntraOpThreads"/> 0, small encoders get 1.
    /// </summary>
    public int IntraOpThreads { get; init; }

    /// <inheritdoc />
    public override string ToString() => $"{Kind} '{Name}' ({RelativePath})";
}
