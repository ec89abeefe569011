using FmriToImage.Bundle;
using FmriToImage.Diffusion;
using FmriToImage.Onnx;

namespace FmriToImage.Models;

/// <summary>
/// A conditional diffusion UNet export (<c>sample</c>, <c>timestep</c>, <c>encoder_hidden_states</c> →
/// <c>out_sample</c>) as the <see cref="IDenoiser"/> the <see cref="Sampler"/> calls once per step.
/// </summary>
/// <remarks>
/// <para>
/// Nothing is assumed that the graph declares: the element types of all three inputs (float32 or float16), the
/// timestep's type (float, float16, int64 or int32 — exporters differ) and rank (a scalar, or one value per batch
/// element), the latent channel count and the token width.
/// </para>
/// <para>
/// Inputs and outputs are bound once per batch size and sequence length (<see cref="OrtIoBinding"/> over pinned
/// buffers); a step copies the latents and conditioning in, runs, and copies the prediction out, allocating nothing.
/// Not thread-safe (one sampler drives it); the session belongs to the bundle, the bindings to this object.
/// </para>
/// </remarks>
public sealed class UNet : IDenoiser, IDisposable
{
    private readonly OrtSession session;
    private readonly OrtNodeInfo sample;
    private readonly OrtNodeInfo timestep;
    private readonly OrtNodeInfo context;
    private readonly OrtNodeInfo output;
    private readonly Dictionary<(int Batch, int Sequence), Binding> bindings = [];

    /// <summary>Wraps a UNet session for latents of <paramref name="latentChannels"/>×<paramref name="latentHeight"/>×<paramref name="latentWidth"/>.</summary>
    /// <param name="session">The UNet session (not owned).</param>
    /// <param name="latentChannels">C; must match the graph's <c>sample</c> channels when it fixes them.</param>
    /// <param name="latentHeight">h, the latent height (image height ÷ the VAE's downsampling factor).</param>
    /// <param name="latentWidth">w, the latent width.</param>
    /// <param name="tokenWidth">The conditioning token width D, used when the graph does not fix it (e.g. the UNet config's <c>cross_attention_dim</c>).</param>
    /// <exception cref="TensorContractException">The graph lacks an input or output of the contract, fixes a different channel count, or neither it nor <paramref name="tokenWidth"/> gives the token width.</exception>
    public UNet(OrtSession session, int latentChannels, int latentHeight, int latentWidth, int? tokenWidth = null)
    {
        this.session = session ?? throw new ArgumentNullException(nameof(session));
        ArgumentOutOfRangeException.ThrowIfLessThan(latentChannels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(latentHeight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(latentWidth, 1);
        sample = Node(session.Inputs, "sample");
        timestep = Node(session.Inputs, "timestep");
        context = Node(session.Inputs, "encoder_hidden_states");
        output = Node(session.Outputs, "out_sample");
        if (sample.Rank != 4 || (sample.Dimensions[1] >= 0 && sample.Dimensions[1] != latentChannels))
        {
            throw new TensorContractException($"{session.ModelName}: input 'sample' is {sample.ShapeText}; a [batch, {latentChannels}, h, w] latent was asked for.", "sample");
        }

        if ((sample.Dimensions[2] >= 0 && sample.Dimensions[2] != latentHeight) || (sample.Dimensions[3] >= 0 && sample.Dimensions[3] != latentWidth))
        {
            throw new TensorContractException($"{session.ModelName}: input 'sample' is {sample.ShapeText}; latents of {latentHeight}×{latentWidth} were asked for.", "sample");
        }

        LatentChannels = latentChannels;
        LatentHeight = latentHeight;
        LatentWidth = latentWidth;
        var fixedWidth = context.Rank == 3 && context.Dimensions[2] >= 0 ? (int?)context.Dimensions[2] : null;
        if (fixedWidth is not null && tokenWidth is not null && fixedWidth != tokenWidth)
        {
            throw new TensorContractException($"{session.ModelName}: input 'encoder_hidden_states' {context.ShapeText} fixes the token width at {fixedWidth}, not {tokenWidth}.", "encoder_hidden_states");
        }

        TokenWidth = fixedWidth ?? tokenWidth
            ?? throw new TensorContractException($"{session.ModelName}: input 'encoder_hidden_states' {context.ShapeText} does not fix its token width and none was given (the UNet config's cross_attention_dim).", "encoder_hidden_states");
    }

    /// <summary>Latent channels C.</summary>
    public int LatentChannels { get; }

    /// <summary>Latent height h.</summary>
    public int LatentHeight { get; }

    /// <summary>Latent width w.</summary>
    public int LatentWidth { get; }

    /// <summary>Floats per latent, C·h·w.</summary>
    public int LatentLength => LatentChannels * LatentHeight * LatentWidth;

    /// <summary>The width D of the conditioning tokens.</summary>
    public int TokenWidth { get; }

    /// <summary>The timestep's element type as the graph declares it.</summary>
    public OrtTensorElementType TimestepElementType => timestep.ElementType;

    /// <summary>
    /// Wraps the bundle's UNet for images of <paramref name="imageHeight"/>×<paramref name="imageWidth"/> pixels, with
    /// the latent channels and downsampling factor the bundle's VAE declares.
    /// </summary>
    /// <param name="bundle">A bundle with a UNet and a VAE decoder.</param>
    /// <param name="imageHeight">Image height in pixels.</param>
    /// <param name="imageWidth">Image width in pixels.</param>
    /// <returns>The denoiser.</returns>
    /// <exception cref="BundleComponentMissingException">The bundle has no UNet or no VAE decoder.</exception>
    /// <exception cref="ArgumentException">The image size is not a multiple of the VAE's downsampling factor.</exception>
    public static UNet FromBundle(ModelBundle bundle, int imageHeight, int imageWidth)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var unet = bundle.Unet ?? throw new BundleComponentMissingException(bundle.RootPath, "unet/model.onnx", ["TextToImage", "CaptionImg2Img", "Unclip"]);
        var vae = VaeDecoder.FromBundle(bundle);
        var factor = vae.DownsamplingFactor;
        if (imageHeight % factor != 0 || imageWidth % factor != 0)
        {
            throw new ArgumentException($"The image size {imageWidth}×{imageHeight} is not a multiple of the VAE's downsampling factor {factor}.", nameof(imageHeight));
        }

        return new UNet(unet.Session, vae.LatentChannels, imageHeight / factor, imageWidth / factor, (int?)unet.ConfigNumber("cross_attention_dim"));
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A span's length does not fit the batch size, the latent shape or the token width.</exception>
    public void Denoise(ReadOnlySpan<float> latents, int batchSize, int timestep, ReadOnlySpan<float> conditioning, Span<float> destination, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var latentFloats = batchSize * LatentLength;
        if (latents.Length != latentFloats || destination.Length != latentFloats)
        {
            throw new ArgumentException(
                $"{session.ModelName}: {batchSize} latents of {LatentChannels}×{LatentHeight}×{LatentWidth} need {latentFloats} floats; latents has {latents.Length}, destination {destination.Length}.",
                nameof(latents));
        }

        var sequence = SequenceLength(conditioning.Length, batchSize);
        if (!bindings.TryGetValue((batchSize, sequence), out var binding))
        {
            binding = new Binding(this, batchSize, sequence);
            bindings[(batchSize, sequence)] = binding;
        }

        binding.Sample.Write(latents);
        binding.Context.Write(conditioning);
        binding.Timestep.Fill(timestep);
        session.Run(binding.IoBinding, binding.RunOptions, cancellationToken);
        binding.Output.Read(destination);
    }

    /// <summary>Releases the bound buffers (not the session, which belongs to the bundle). Idempotent.</summary>
    public void Dispose()
    {
        foreach (var binding in bindings.Values)
        {
            binding.Dispose();
        }

        bindings.Clear();
    }

    private int SequenceLength(int conditioningLength, int batchSize)
    {
        var perSample = conditioningLength / batchSize;
        if (conditioningLength % batchSize != 0 || perSample == 0)
        {
            throw new ArgumentException($"{session.ModelName}: the conditioning has {conditioningLength} floats, which is not {batchSize} equal non-empty blocks (one per batch element).", nameof(conditioningLength));
        }

        if (perSample % TokenWidth != 0)
        {
            throw new ArgumentException($"{session.ModelName}: each conditioning block has {perSample} floats, not a whole number of {TokenWidth}-wide tokens (input 'encoder_hidden_states' {context.ShapeText}).", nameof(conditioningLength));
        }

        return perSample / TokenWidth;
    }

    private static OrtNodeInfo Node(IReadOnlyList<OrtNodeInfo> nodes, string name) =>
        nodes.FirstOrDefault(n => n.Name == name)
        ?? throw new TensorContractException($"The UNet graph has no '{name}'; it has: {string.Join(", ", nodes)}.", name);

    /// <summary>The bound buffers for one (batch, sequence) shape.</summary>
    private sealed class Binding : IDisposable
    {
        public Binding(UNet owner, int batch, int sequence)
        {
            Sample = BoundTensor.Create(owner.sample.ElementType, [batch, owner.LatentChannels, owner.LatentHeight, owner.LatentWidth]);
            Output = BoundTensor.Create(owner.output.ElementType, [batch, owner.LatentChannels, owner.LatentHeight, owner.LatentWidth]);
            Timestep = BoundTensor.Create(owner.timestep.ElementType, owner.timestep.Rank == 0 ? [] : [batch]);
            Context = BoundTensor.Create(owner.context.ElementType, [batch, sequence, owner.TokenWidth]);
            RunOptions = new OrtRunOptions();
            IoBinding = owner.session.CreateIoBinding();
            IoBinding.BindInput("sample", Sample.Value);
            IoBinding.BindInput("timestep", Timestep.Value);
            IoBinding.BindInput("encoder_hidden_states", Context.Value);
            IoBinding.BindOutput("out_sample", Output.Value);
        }

        public BoundTensor Sample { get; }

        public BoundTensor Timestep { get; }

        public BoundTensor Context { get; }

        public BoundTensor Output { get; }

        public OrtIoBinding IoBinding { get; }

        /// <summary>Reused by every step, so a cancellable token costs no native object per step.</summary>
        public OrtRunOptions RunOptions { get; }

        public void Dispose()
        {
            IoBinding.Dispose();
            RunOptions.Dispose();
            Sample.Dispose();
            Timestep.Dispose();
            Context.Dispose();
            Output.Dispose();
        }
    }
}
