using System.Collections.Concurrent;
using FmriToImage.Diffusion;
using FmriToImage.Imaging;
using FmriToImage.Models;

namespace FmriToImage.Pipelines;

/// <summary>
/// The decoder's denoising loops: the UNet's (one trial's candidates) and the diffusion prior's. Each loop rents a
/// wrapper — with its bound, pinned buffers — from a pool kept for the decoder's life, and returns it after, so
/// concurrent loops never share buffers and a long run does not rebuild (and leave to the GC) pinned buffers per trial.
/// </summary>
/// <remarks>
/// A bound buffer is written whole before every run, so a reused wrapper gives the same bits as a fresh one.
/// <see cref="Dispose"/> releases the pooled wrappers; one still rented is released when it comes back.
/// </remarks>
internal sealed class Denoising : IDisposable
{
    private readonly DecoderComponents _components;
    private readonly int? _priorTokenWidth;
    private readonly ConcurrentBag<UNet> _unets = [];
    private readonly ConcurrentBag<DiffusionPrior> _priors = [];
    private volatile bool _disposed;

    /// <summary>Orders <see cref="Dispose"/> and a wrapper's return, so no returned wrapper outlives the pool undisposed.</summary>
    private readonly Lock _poolGate = new();

    /// <param name="components">The networks and geometry.</param>
    /// <param name="priorTokenWidth">The prior's token width: the UNet's (whose conditioning it produces).</param>
    public Denoising(DecoderComponents components, int? priorTokenWidth)
    {
        _components = components;
        _priorTokenWidth = priorTokenWidth;
    }

    /// <summary>The prior's noise seed for a request seed: the seed XOR "prior" in ASCII, so its stream never is the UNet's.</summary>
    public static ulong PriorSeed(ulong seed) => seed ^ 0x7072696F72UL;

    /// <summary>A new UNet wrapper (the pool holds those returned).</summary>
    private UNet CreateUNet() =>
        new(_components.Bundle.Unet!.Session, _components.LatentChannels, _components.LatentHeight, _components.LatentWidth, _components.TokenWidth, _components.Bundle.Unet.Config);

    /// <summary>A new prior wrapper (the pool holds those returned); its token width is the UNet's.</summary>
    private DiffusionPrior CreatePrior() =>
        new(_components.Bundle.Prior!.Session, _components.PriorSchedulerConfig!, _priorTokenWidth);

    /// <summary>
    /// Runs the diffusion prior on <paramref name="trials"/> trials' brain tokens (trials × T × D) and returns the
    /// denoised image tokens; every trial draws its noise from its own stream seeded with
    /// <see cref="PriorSeed"/>(<paramref name="seed"/>), so a trial gets the same tokens alone or in a batch.
    /// </summary>
    public float[] RunPrior(float[] brainTokens, int trials, int steps, float eta, ulong seed, CancellationToken cancellationToken)
    {
        var prior = Rent(_priors, CreatePrior);
        try
        {
            var noise = Enumerable.Range(0, trials).Select(_ => (INoiseSource)new GaussianNoiseSource(PriorSeed(seed))).ToArray();
            return prior.Sample(brainTokens, trials, steps, eta, noise, cancellationToken);
        }
        finally
        {
            Return(_priors, prior);
        }
    }

    /// <summary>
    /// One trial's images: the request's denoising loop over <paramref name="batch"/> latents (img2img from
    /// <paramref name="initLatents"/> unless empty; noise from the request's seed) with the scheduler the bundle's
    /// config names (or the pipeline's override, <see cref="ResolvedRequest.Scheduler"/>) and a rented UNet wrapper, then the VAE decoding; laps "diffusion" and "decoding". A fractional
    /// timestep for an integer-timestep UNet is refused before the UNet runs. <paramref name="added"/> fills the UNet's
    /// added-condition inputs (null for a UNet without them; <see cref="UnetConditions"/>).
    /// </summary>
    public RgbImage[] Generate(ResolvedRequest request, int batch, float[] conditioning, float[] unconditioning, float[] initLatents, StageClock clock, CancellationToken cancellationToken, AddedConditions? added = null, string diffusionStage = "diffusion", string decodingStage = "decoding")
    {
        float[] latents;
        var unet = Rent(_unets, CreateUNet);
        try
        {
            var scheduler = (request.Scheduler ?? throw new InvalidOperationException($"{request.Row.Name} runs no diffusion loop; it has no scheduler.")).Create();
            scheduler.SetTimesteps(request.Steps);
            unet.CheckTimesteps(scheduler, initLatents.Length == 0 ? 0 : scheduler.Img2ImgStartIndex(request.Strength));
            unet.Conditions = added;
            var sampler = new Sampler(scheduler, unet);
            latents = sampler.Sample(
                new DiffusionRequest
                {
                    BatchSize = batch,
                    LatentLength = _components.LatentLength,
                    Noise = new GaussianNoiseSource(request.Seed),
                    Conditioning = conditioning,
                    UnconditionalConditioning = unconditioning,
                    InitLatents = initLatents,
                    NumInferenceSteps = request.Steps,
                    GuidanceScale = request.Guidance,
                    Strength = request.Strength,
                    Eta = request.Eta,
                },
                cancellationToken: cancellationToken);
        }
        finally
        {
            unet.Conditions = null;
            Return(_unets, unet);
        }

        clock.Lap(diffusionStage);
        var images = _components.DecodeImages(latents, batch, cancellationToken);
        clock.Lap(decodingStage);
        return images;
    }

    /// <summary>Releases every pooled wrapper's buffers. Idempotent.</summary>
    public void Dispose()
    {
        lock (_poolGate)
        {
            _disposed = true;
        }

        Drain(_unets);
        Drain(_priors);
    }

    private T Rent<T>(ConcurrentBag<T> pool, Func<T> create)
        where T : IDisposable
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return pool.TryTake(out var wrapper) ? wrapper : create();
    }

    private void Return<T>(ConcurrentBag<T> pool, T wrapper)
        where T : IDisposable
    {
        // Under the lock Dispose sets the flag with: a wrapper returned after Dispose is disposed here, one returned
        // before is in the bag Dispose drains; none is left undisposed.
        lock (_poolGate)
        {
            if (!_disposed)
            {
                pool.Add(wrapper);
                return;
            }
        }

        wrapper.Dispose();
    }

    private static void Drain<T>(ConcurrentBag<T> pool)
        where T : IDisposable
    {
        while (pool.TryTake(out var wrapper))
        {
            wrapper.Dispose();
        }
    }
}
