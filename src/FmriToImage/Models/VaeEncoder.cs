using System.Numerics.Tensors;
using FmriToImage.Diffusion;
using FmriToImage.Onnx;

namespace FmriToImage.Models;

/// <summary>
/// A VAE encoder export (<c>sample</c> → <c>latent_parameters</c> (mean ‖ log-variance, current optimum) or
/// <c>latent_sample</c> (older exports)): turns images into scaled latents for img2img.
/// </summary>
/// <remarks>Thread-safe (each call has its own values); the session belongs to the bundle.</remarks>
internal sealed class VaeEncoder
{
    private readonly GraphSession _session;
    private readonly bool _outputsParameters;

    /// <summary>Wraps a VAE encoder session.</summary>
    /// <param name="session">The session (not owned).</param>
    /// <param name="scalingFactor">The latent scale (diffusers' <c>scaling_factor</c>); must be positive.</param>
    /// <exception cref="TensorContractException">The graph has neither <c>latent_parameters</c> nor <c>latent_sample</c>.</exception>
    internal VaeEncoder(GraphSession session, double scalingFactor)
    {
        _session = session ?? throw new ArgumentNullException(nameof(session));
        if (!(scalingFactor > 0) || double.IsInfinity(scalingFactor))
        {
            throw new ArgumentOutOfRangeException(nameof(scalingFactor), scalingFactor, "The VAE scaling factor must be a positive number.");
        }

        ScalingFactor = scalingFactor;
        _outputsParameters = session.Outputs.Any(o => o.Name == "latent_parameters");
        if (!_outputsParameters && session.Outputs.All(o => o.Name != "latent_sample"))
        {
            throw new TensorContractException($"{session.ModelName}: has neither output 'latent_parameters' nor 'latent_sample'; it has {string.Join(", ", session.Outputs)}.");
        }
    }

    /// <summary>The latent scale: model latents = VAE latents × this.</summary>
    public double ScalingFactor { get; }

    /// <summary>
    /// Encodes images [batch, 3, H, W] (values in [−1, 1]) to scaled latents [batch, C, h, w]: the distribution's mean
    /// when <paramref name="noise"/> is null, else a sample mean + σ·ε with ε from <paramref name="noise"/> (diffusers'
    /// <c>latent_dist.sample()</c>, log-variance clamped to [−30, 20] as diffusers does), times the scaling factor.
    /// Exports that output <c>latent_sample</c> sample inside the graph; their output is only scaled.
    /// </summary>
    /// <param name="images">The images, row-major NCHW.</param>
    /// <param name="batch">The number of images.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="noise">The ε source for sampling, or null for the mean.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The scaled latents.</returns>
    /// <exception cref="ArgumentException">The span's length is not batch·3·H·W.</exception>
    public Tensor<float> Encode(ReadOnlySpan<float> images, int batch, int height, int width, INoiseSource? noise = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var expected = (long)batch * 3 * height * width;
        if (images.Length != expected)
        {
            throw new ArgumentException($"{_session.ModelName}: {batch} images of 3×{height}×{width} need {expected} floats, got {images.Length}.", nameof(images));
        }

        using var input = AlignedTensor.Copy(images, [batch, 3, height, width]);
        using var outputs = _session.Run([new("sample", input)], [_outputsParameters ? "latent_parameters" : "latent_sample"], cancellationToken: cancellationToken);
        var result = outputs[0];
        var shape = result.GetShape();
        var values = result.GetTensorMutableDataAsSpan<float>();
        if (!_outputsParameters)
        {
            var scaled = new float[values.Length];
            TensorPrimitives.Multiply(values, (float)ScalingFactor, scaled);
            return Tensor.Create(scaled, [(nint)shape[0], (nint)shape[1], (nint)shape[2], (nint)shape[3]]);
        }

        var channels = (int)shape[1] / 2;
        var plane = (int)(shape[2] * shape[3]);
        var latents = new float[batch * channels * plane];
        var epsilon = noise is null ? Span<float>.Empty : new float[plane * channels];
        for (var b = 0; b < batch; b++)
        {
            var parameters = values.Slice(b * 2 * channels * plane, 2 * channels * plane);
            var mean = parameters[..(channels * plane)];
            var logVariance = parameters[(channels * plane)..];
            var latent = latents.AsSpan(b * channels * plane, channels * plane);
            if (noise is null)
            {
                mean.CopyTo(latent);
            }
            else
            {
                noise.Fill(epsilon);
                for (var k = 0; k < latent.Length; k++)
                {
                    var std = Math.Exp(0.5 * Math.Clamp(logVariance[k], -30f, 20f));
                    latent[k] = (float)(mean[k] + (std * epsilon[k]));
                }
            }

            TensorPrimitives.Multiply(latent, (float)ScalingFactor, latent);
        }

        return Tensor.Create(latents, [batch, channels, (nint)shape[2], (nint)shape[3]]);
    }
}
