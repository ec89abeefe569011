using BenchmarkDotNet.Attributes;
using FmriToImage.Bundle;
using FmriToImage.Diffusion;
using FmriToImage.Models;
using FmriToImage.Onnx;
using FmriToImage.Pipelines;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Benchmarks.Diffusion;

/// <summary>
/// The loop overhead on the demo UNet (models/demo): the caption → img2img denoising loop (every bagged candidate and
/// both guidance halves in one UNet batch, the bundle's steps/strength/guidance) against the same number of bare
/// ONNX Runtime runs on pre-bound buffers of the same shapes, and against the loop with a denoiser that does the UNet
/// wrapper's copies but runs no network — the loop's own cost, measured directly.
/// </summary>
[MemoryDiagnoser]
public class DenoisingLoopBenchmarks
{
    private ModelBundle bundle = null!;
    private UNet unet = null!;
    private Sampler sampler = null!;
    private Sampler samplerWithoutNetwork = null!;
    private DiffusionRequest request = null!;
    private float[] latents = null!;
    private OrtIoBinding binding = null!;
    private OrtValue[] bound = null!;
    private RunOptions runOptions = null!;
    private float[] timestep = null!;
    private int[] timesteps = null!;

    [GlobalSetup]
    public void Setup()
    {
        bundle = ModelBundle.Open(Path.Combine(RepositoryFiles.Root(), "models", "demo"), new ModelBundleOptions { IntraOpThreads = 2 });
        var defaults = bundle.Decoder!.Pipelines["caption_img2img"];
        var candidates = bundle.Decoder.VoxelEncoders.Count(e => e.Role == VoxelEncoderRole.VaeLatent) * defaults.Samples;
        unet = ModelLoader.UNet(bundle, 64, 64);
        var config = DdimSchedulerConfig.FromJson(File.ReadAllText(bundle.ResolvePath("scheduler/scheduler_config.json")));
        sampler = new Sampler(new DdimScheduler(config), unet);
        var sequence = ModelLoader.TextEncoder(bundle).SequenceLength;
        var context = candidates * sequence * unet.TokenWidth;
        samplerWithoutNetwork = new Sampler(new DdimScheduler(config), new CopyOnlyDenoiser(2 * candidates * unet.LatentLength, 2 * context));
        request = new DiffusionRequest
        {
            BatchSize = candidates,
            LatentLength = unet.LatentLength,
            Noise = new GaussianNoiseSource(0),
            Conditioning = Enumerable.Range(0, context).Select(i => MathF.Sin(i * 0.01f)).ToArray(),
            UnconditionalConditioning = Enumerable.Range(0, context).Select(i => MathF.Cos(i * 0.01f)).ToArray(),
            InitLatents = Enumerable.Range(0, candidates * unet.LatentLength).Select(i => MathF.Sin(i * 0.1f)).ToArray(),
            NumInferenceSteps = defaults.Steps,
            GuidanceScale = defaults.Guidance,
            Strength = defaults.Strength,
        };
        latents = new float[candidates * unet.LatentLength];

        var scheduler = new DdimScheduler(config);
        scheduler.SetTimesteps(defaults.Steps);
        timesteps = scheduler.Timesteps.Skip(Sampler.Img2ImgStartIndex(defaults.Steps, defaults.Strength)).ToArray();
        var session = bundle.Unet!.Session;
        timestep = GC.AllocateArray<float>(1, pinned: true);
        long[] latentShape = [2 * candidates, unet.LatentChannels, unet.LatentHeight, unet.LatentWidth];
        bound =
        [
            AlignedTensor.Over<float>(GC.AllocateArray<float>(2 * candidates * unet.LatentLength, pinned: true), latentShape),
            AlignedTensor.Over<float>(timestep, ReadOnlySpan<long>.Empty),
            AlignedTensor.Over<float>(GC.AllocateArray<float>(2 * context, pinned: true), [2 * candidates, sequence, unet.TokenWidth]),
            AlignedTensor.Over<float>(GC.AllocateArray<float>(2 * candidates * unet.LatentLength, pinned: true), latentShape),
        ];
        runOptions = new RunOptions();
        binding = session.CreateIoBinding();
        binding.BindInput("sample", bound[0]);
        binding.BindInput("timestep", bound[1]);
        binding.BindInput("encoder_hidden_states", bound[2]);
        binding.BindOutput("out_sample", bound[3]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        binding.Dispose();
        runOptions.Dispose();
        foreach (var value in bound)
        {
            value.Dispose();
        }

        unet.Dispose();
        bundle.Dispose();
    }

    [Benchmark(Baseline = true, Description = "bare session runs (IoBinding), one per step")]
    public void BareSessionRuns()
    {
        var session = bundle.Unet!.Session;
        foreach (var t in timesteps)
        {
            timestep[0] = t;
            session.Run(binding, runOptions);
        }
    }

    [Benchmark(Description = "denoising loop, demo UNet")]
    public void DenoisingLoop() => sampler.Sample(request, latents);

    [Benchmark(Description = "denoising loop, no network (the loop's own work)")]
    public void DenoisingLoopWithoutNetwork() => samplerWithoutNetwork.Sample(request, latents);

    /// <summary>What the UNet wrapper does around a run — latents and conditioning into pinned buffers, the prediction out — without the run.</summary>
    private sealed class CopyOnlyDenoiser(int latentFloats, int contextFloats) : IDenoiser
    {
        private readonly float[] sample = GC.AllocateArray<float>(latentFloats, pinned: true);
        private readonly float[] context = GC.AllocateArray<float>(contextFloats, pinned: true);
        private readonly float[] output = GC.AllocateArray<float>(latentFloats, pinned: true);
        private readonly float[] timestep = GC.AllocateArray<float>(1, pinned: true);

        public void Denoise(ReadOnlySpan<float> latents, int batchSize, int timestep, ReadOnlySpan<float> conditioning, Span<float> destination, CancellationToken cancellationToken)
        {
            latents.CopyTo(sample);
            conditioning.CopyTo(context);
            this.timestep[0] = timestep;
            output.AsSpan(0, destination.Length).CopyTo(destination);
        }
    }
}
