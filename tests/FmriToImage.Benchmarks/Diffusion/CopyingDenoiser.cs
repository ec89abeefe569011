using FmriToImage.Diffusion;

namespace FmriToImage.Benchmarks.Diffusion;

/// <summary>
/// The UNet wrapper's copies around a run — latents, context and (when the UNet takes them) its added conditions into
/// pinned input buffers, the prediction out of a pinned output buffer — without the run: a denoising loop over it
/// measures the loop's own work.
/// </summary>
/// <param name="latentFloats">Floats of the guided latent batch.</param>
/// <param name="contextFloats">Floats of the guided context batch.</param>
/// <param name="addedFloats">Floats of the added conditions (text_embeds, time_ids) per run; 0 for a plain UNet.</param>
internal sealed class CopyingDenoiser(int latentFloats, int contextFloats, int addedFloats = 0) : IDenoiser
{
    private readonly float[] _sample = GC.AllocateArray<float>(latentFloats, pinned: true);
    private readonly float[] _context = GC.AllocateArray<float>(contextFloats, pinned: true);
    private readonly float[] _added = GC.AllocateArray<float>(addedFloats, pinned: true);
    private readonly float[] _addedSource = new float[addedFloats];
    private readonly float[] _output = GC.AllocateArray<float>(latentFloats, pinned: true);
    private readonly float[] _timestep = GC.AllocateArray<float>(1, pinned: true);

    public void Denoise(ReadOnlySpan<float> latents, int batchSize, double timestep, ReadOnlySpan<float> conditioning, Span<float> destination, CancellationToken cancellationToken)
    {
        latents.CopyTo(_sample);
        conditioning.CopyTo(_context);
        _addedSource.CopyTo(_added);
        _timestep[0] = (float)timestep;
        _output.AsSpan(0, destination.Length).CopyTo(destination);
    }
}
