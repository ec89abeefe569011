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
    private ModelBundle _bundle = null!;
    private UNet _unet = null!;
    private Sampler _sampler = null!;
    private Sampler _samplerWithoutNetwork = null!;
    private DiffusionRequest _request = null!;
    private float[] _latents = null!;
    private OrtIoBinding _binding = null!;
    private OrtValue[] _bound = null!;
    private RunOptions _runOptions = null!;
    private float[] _timestep = null!;
    private int[] _timesteps = null!;

    [GlobalSetup]
    public void Setup()
    {
        _bundle = ModelBundle.Open(Path.Combine(RepositoryFiles.Root(), "models", "demo"), new ModelBundleOptions { IntraOpThreads = 2 });
        var defaults = _bundle.Decoder!.Pipelines["caption_img2img"];
        var candidates = _bundle.Decoder.VoxelEncoders.Count(e => e.Role == VoxelEncoderRole.VaeLatent) * defaults.Samples;
        _unet = ModelLoader.UNet(_bundle, 64, 64);
        var config = DdimSchedulerConfig.FromJson(File.ReadAllText(_bundle.ResolvePath("scheduler/scheduler_config.json")));
        _sampler = new Sampler(new DdimScheduler(config), _unet);
        var sequence = ModelLoader.TextEncoder(_bundle).SequenceLength;
        var context = candidates * sequence * _unet.TokenWidth;
        _samplerWithoutNetwork = new Sampler(new DdimScheduler(config), new CopyingDenoiser(2 * candidates * _unet.LatentLength, 2 * context));
        _request = new DiffusionRequest
        {
            BatchSize = candidates,
            LatentLength = _unet.LatentLength,
            Noise = new GaussianNoiseSource(0),
            Conditioning = Enumerable.Range(0, context).Select(i => MathF.Sin(i * 0.01f)).ToArray(),
            UnconditionalConditioning = Enumerable.Range(0, context).Select(i => MathF.Cos(i * 0.01f)).ToArray(),
            InitLatents = Enumerable.Range(0, candidates * _unet.LatentLength).Select(i => MathF.Sin(i * 0.1f)).ToArray(),
            NumInferenceSteps = defaults.Steps,
            GuidanceScale = defaults.Guidance,
            Strength = defaults.Strength,
        };
        _latents = new float[candidates * _unet.LatentLength];

        var scheduler = new DdimScheduler(config);
        scheduler.SetTimesteps(defaults.Steps);
        _timesteps = scheduler.Timesteps.Skip(Sampler.Img2ImgStartIndex(defaults.Steps, defaults.Strength)).ToArray();
        var session = _bundle.Unet!.Session;
        _timestep = GC.AllocateArray<float>(1, pinned: true);
        long[] latentShape = [2 * candidates, _unet.LatentChannels, _unet.LatentHeight, _unet.LatentWidth];
        _bound =
        [
            AlignedTensor.Over<float>(GC.AllocateArray<float>(2 * candidates * _unet.LatentLength, pinned: true), latentShape),
            AlignedTensor.Over<float>(_timestep, ReadOnlySpan<long>.Empty),
            AlignedTensor.Over<float>(GC.AllocateArray<float>(2 * context, pinned: true), [2 * candidates, sequence, _unet.TokenWidth]),
            AlignedTensor.Over<float>(GC.AllocateArray<float>(2 * candidates * _unet.LatentLength, pinned: true), latentShape),
        ];
        _runOptions = new RunOptions();
        _binding = session.CreateIoBinding();
        _binding.BindInput("sample", _bound[0]);
        _binding.BindInput("timestep", _bound[1]);
        _binding.BindInput("encoder_hidden_states", _bound[2]);
        _binding.BindOutput("out_sample", _bound[3]);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _binding.Dispose();
        _runOptions.Dispose();
        foreach (var value in _bound)
        {
            value.Dispose();
        }

        _unet.Dispose();
        _bundle.Dispose();
    }

    [Benchmark(Baseline = true, Description = "bare session runs (IoBinding), one per step")]
    public void BareSessionRuns()
    {
        var session = _bundle.Unet!.Session;
        foreach (var t in _timesteps)
        {
            _timestep[0] = t;
            session.Run(_binding, _runOptions);
        }
    }

    [Benchmark(Description = "denoising loop, demo UNet")]
    public void DenoisingLoop() => _sampler.Sample(_request, _latents);

    [Benchmark(Description = "denoising loop, no network (the loop's own work)")]
    public void DenoisingLoopWithoutNetwork() => _samplerWithoutNetwork.Sample(_request, _latents);
}
