using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Numerics.Tensors;

namespace FmriToImage.Diffusion;

/// <summary>
/// The denoising loop of a Stable-Diffusion-style pipeline, as modern diffusers runs it: text-to-image or img2img
/// start, one batched denoiser call per step with classifier-free guidance (unconditional half first), then one
/// <see cref="IDiffusionScheduler.Step"/> in place (DDIM, Euler, EDM or PNDM; see <see cref="DiffusionSchedulers"/>).
/// </summary>
/// <remarks>
/// <para>
/// Per run, the buffers (model input and output, the batched conditioning, η noise) are allocated once; the steps
/// themselves allocate nothing (a synchronous <see cref="IProgress{T}"/> such as a plain class is called inline;
/// <see cref="Progress{T}"/> posts to a synchronization context and allocates per report).
/// </para>
/// <para>
/// img2img follows diffusers' current <c>StableDiffusionImg2ImgPipeline</c>: the scheduler's
/// <see cref="IDiffusionScheduler.Img2ImgStartIndex"/> (for diffusers' schedulers, with n steps and strength s,
/// init = min(⌊n·s⌋, n), t_start = n − init), noise is added at step t_start and the loop runs the remaining steps
/// (see <see cref="Img2ImgStartIndex"/> and docs/diffusion.md for the older ONNX pipeline's off-by-one, which is not
/// reproduced).
/// </para>
/// <para>
/// Timesteps: <see cref="IDenoiser"/> receives the scheduler's <see cref="IDiffusionScheduler.ModelTimestep"/> as a
/// <see cref="double"/>, fractional for Euler in linspace spacing or with Karras sigmas and for diffusers' EDM. A
/// denoiser whose network takes integer timesteps must refuse a fractional one, never round it (the library's UNet and
/// prior wrappers do, naming their graph's <c>timestep</c> input).
/// </para>
/// <para>
/// Thread-safety: a sampler drives one scheduler and so runs one request at a time; a concurrent call throws
/// <see cref="InvalidOperationException"/>. Use one sampler (and scheduler) per concurrent loop.
/// </para>
/// </remarks>
public sealed class Sampler
{
    private readonly IDenoiser _denoiser;
    private int _running;

    /// <summary>Creates a sampler over a scheduler and a denoiser.</summary>
    /// <param name="scheduler">The scheduler; its timesteps are reset by every run.</param>
    /// <param name="denoiser">The network called once per step.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public Sampler(IDiffusionScheduler scheduler, IDenoiser denoiser)
    {
        Scheduler = scheduler ?? throw new ArgumentNullException(nameof(scheduler));
        _denoiser = denoiser ?? throw new ArgumentNullException(nameof(denoiser));
    }

    /// <summary>The scheduler this sampler steps.</summary>
    public IDiffusionScheduler Scheduler { get; }

    /// <summary>
    /// The index into the scheduler's timesteps where img2img starts, as diffusers' <c>get_timesteps</c>:
    /// t_start = max(n − min(⌊n·strength⌋, n), 0). The loop runs n − t_start steps; strength 0 runs none.
    /// </summary>
    /// <param name="numInferenceSteps">n ≥ 1.</param>
    /// <param name="strength">The strength in [0, 1].</param>
    /// <returns>t_start in [0, n].</returns>
    /// <exception cref="ArgumentOutOfRangeException">n is below 1 or the strength is outside [0, 1].</exception>
    public static int Img2ImgStartIndex(int numInferenceSteps, double strength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(numInferenceSteps, 1);
        if (!(strength is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(strength), strength,
                string.Create(CultureInfo.InvariantCulture, $"strength must lie in [0, 1]; it is {strength}."));
        }

        int init = Math.Min((int)(numInferenceSteps * strength), numInferenceSteps);
        return Math.Max(numInferenceSteps - init, 0);
    }

    /// <summary>Runs the loop and returns the final latents (N·L floats).</summary>
    /// <param name="request">What to generate.</param>
    /// <param name="progress">Told after every step, on the calling thread.</param>
    /// <param name="cancellationToken">Checked before every step and handed to the denoiser.</param>
    /// <returns>The denoised latents, N samples one after another.</returns>
    /// <exception cref="ArgumentException">The request is inconsistent (see <see cref="Sample(DiffusionRequest, Span{float}, IProgress{DiffusionStep}?, CancellationToken)"/>).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ by a required parameter (a result array or the caller's Span); both are in the first public baseline.")]
    public float[] Sample(DiffusionRequest request, IProgress<DiffusionStep>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateShape(request);
        var latents = new float[request.BatchSize * request.LatentLength];
        Sample(request, latents, progress, cancellationToken);
        return latents;
    }

    /// <summary>Runs the loop on the thread pool and returns the final latents (N·L floats).</summary>
    /// <param name="request">What to generate.</param>
    /// <param name="progress">Told after every step, on the pool thread that runs the loop.</param>
    /// <param name="cancellationToken">Checked before every step and handed to the denoiser.</param>
    /// <returns>The denoised latents.</returns>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    public Task<float[]> SampleAsync(DiffusionRequest request, IProgress<DiffusionStep>? progress = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Sample(request, progress, cancellationToken), cancellationToken);

    /// <summary>Runs the loop, writing the final latents into <paramref name="latents"/> (which is also the working buffer).</summary>
    /// <param name="request">What to generate.</param>
    /// <param name="latents">N·L floats; receives the result. Must not overlap the request's memory (it is overwritten with noise first).</param>
    /// <param name="progress">Told after every step, on the calling thread.</param>
    /// <param name="cancellationToken">Checked before every step and handed to the denoiser.</param>
    /// <exception cref="ArgumentNullException"><paramref name="request"/> or its noise source is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">
    /// Batch size or latent length below 1, step count outside [1, T], strength outside [0, 1], η negative, or a
    /// guidance scale that is not finite.
    /// </exception>
    /// <exception cref="ArgumentException">
    /// A length disagrees: <paramref name="latents"/> or <see cref="DiffusionRequest.InitLatents"/> is not N·L, the
    /// conditioning is not a multiple of N, or the unconditional conditioning differs from the conditioning.
    /// </exception>
    /// <exception cref="InvalidOperationException">The sampler is already running another request.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    [SuppressMessage("ApiDesign", "RS0026:Do not add multiple public overloads with optional parameters", Justification = "The overloads differ by a required parameter (a result array or the caller's Span); both are in the first public baseline.")]
    public void Sample(DiffusionRequest request, Span<float> latents, IProgress<DiffusionStep>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateShape(request);
        int total = request.BatchSize * request.LatentLength;
        if (latents.Length != total)
        {
            throw new ArgumentException(
                $"latents has {latents.Length} elements but BatchSize × LatentLength = {request.BatchSize} × {request.LatentLength} = {total}.", nameof(latents));
        }

        bool guided = request.GuidanceScale > 1;
        bool img2img = !request.InitLatents.IsEmpty;
        ValidateRequest(request, total, guided, img2img);

        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            throw new InvalidOperationException("This Sampler is already running a request; use one Sampler per concurrent loop.");
        }

        try
        {
            Run(request, latents, guided, img2img, progress, cancellationToken);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private void Run(DiffusionRequest request, Span<float> latents, bool guided, bool img2img, IProgress<DiffusionStep>? progress, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        cancellationToken.ThrowIfCancellationRequested();

        int n = request.NumInferenceSteps;
        int batch = request.BatchSize;
        int length = request.LatentLength;
        int total = batch * length;
        IDiffusionScheduler scheduler = Scheduler;
        scheduler.SetTimesteps(n);
        int steps = scheduler.StepCount;
        int first = img2img ? scheduler.Img2ImgStartIndex(request.Strength) : 0;
        int count = steps - first;
        if (img2img)
        {
            if (count == 0)
            {
                request.InitLatents.Span.CopyTo(latents); // strength 0: nothing to denoise
                return;
            }

            request.Noise.Fill(latents);
            scheduler.AddNoise(request.InitLatents.Span, latents, first, latents);
        }
        else
        {
            request.Noise.Fill(latents);
            if (scheduler.InitNoiseSigma != 1.0)
            {
                TensorPrimitives.Multiply(latents, (float)scheduler.InitNoiseSigma, latents);
            }
        }

        // Buffers for the whole run.
        float[] modelInput = new float[guided ? 2 * total : total];
        float[] modelOutput = new float[guided ? 2 * total : total];
        float[] conditioning = guided ? new float[2 * request.Conditioning.Length] : [];
        if (guided)
        {
            request.UnconditionalConditioning.Span.CopyTo(conditioning);
            request.Conditioning.Span.CopyTo(conditioning.AsSpan(request.Conditioning.Length));
        }

        float[] varianceNoise = request.Eta > 0 ? new float[total] : [];
        float guidance = (float)request.GuidanceScale;

        for (int i = 0; i < count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int index = first + i;
            double t = scheduler.ModelTimestep(index);
            Span<float> output = modelOutput;
            latents.CopyTo(modelInput);
            if (guided)
            {
                latents.CopyTo(modelInput.AsSpan(total));
            }

            scheduler.ScaleModelInput(modelInput, index);
            if (guided)
            {
                _denoiser.Denoise(modelInput, 2 * batch, t, conditioning, output, cancellationToken);

                // uncond + g·(cond − uncond), in place in the first half.
                Span<float> unconditional = output[..total];
                Span<float> conditional = output.Slice(total, total);
                TensorPrimitives.Subtract(conditional, unconditional, conditional);
                TensorPrimitives.MultiplyAdd(conditional, guidance, unconditional, unconditional);
                output = unconditional;
            }
            else
            {
                _denoiser.Denoise(modelInput, batch, t, request.Conditioning.Span, output, cancellationToken);
            }

            if (request.Eta > 0)
            {
                request.Noise.Fill(varianceNoise);
            }

            scheduler.Step(output, index, latents, length, request.Eta, varianceNoise);
            progress?.Report(new DiffusionStep(i, count, t, Stopwatch.GetElapsedTime(started)));
        }
    }

    private static void ValidateShape(DiffusionRequest request)
    {
        if (request.BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.BatchSize, $"BatchSize must be at least 1; it is {request.BatchSize}.");
        }

        if (request.LatentLength < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.LatentLength, $"LatentLength must be at least 1; it is {request.LatentLength}.");
        }

        if ((long)request.BatchSize * request.LatentLength * 2 > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(request), $"BatchSize × LatentLength = {(long)request.BatchSize * request.LatentLength} is too large.");
        }
    }

    private void ValidateRequest(DiffusionRequest request, int total, bool guided, bool img2img)
    {
        if (request.Noise is null)
        {
            throw new ArgumentNullException(nameof(request), "DiffusionRequest.Noise is null.");
        }

        int trainSteps = Scheduler.MaxInferenceSteps;
        if (request.NumInferenceSteps < 1 || request.NumInferenceSteps > trainSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.NumInferenceSteps,
                $"NumInferenceSteps must lie in [1, {trainSteps}]; it is {request.NumInferenceSteps}.");
        }

        if (!double.IsFinite(request.GuidanceScale))
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.GuidanceScale, "GuidanceScale must be finite.");
        }

        if (!float.IsFinite(request.Eta) || request.Eta < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.Eta, "Eta must be a finite number >= 0.");
        }

        if (request.Eta > 0 && !Scheduler.SupportsEta)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.Eta,
                $"Eta must be 0 with {Scheduler.ClassName}; only DDIM has eta.");
        }

        if (request.Conditioning.Length % request.BatchSize != 0)
        {
            throw new ArgumentException(
                $"Conditioning has {request.Conditioning.Length} elements, not a multiple of BatchSize {request.BatchSize}.", nameof(request));
        }

        if (guided && request.UnconditionalConditioning.Length != request.Conditioning.Length)
        {
            throw new ArgumentException(
                $"UnconditionalConditioning has {request.UnconditionalConditioning.Length} elements but Conditioning has {request.Conditioning.Length}; guidance needs both, equally long.", nameof(request));
        }

        if (img2img)
        {
            if (request.InitLatents.Length != total)
            {
                throw new ArgumentException(
                    $"InitLatents has {request.InitLatents.Length} elements but BatchSize × LatentLength is {total}.", nameof(request));
            }

            Img2ImgStartIndex(request.NumInferenceSteps, request.Strength); // validates the strength
        }
    }
}
