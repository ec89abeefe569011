using BenchmarkDotNet.Attributes;
using FmriToImage.Bundle;
using FmriToImage.Diffusion;
using FmriToImage.Models;
using FmriToImage.Pipelines;

namespace FmriToImage.Benchmarks.Diffusion;

/// <summary>
/// The loop overhead with the Euler family (issue 20) on models/demo-mindeye2, whose UNet takes SDXL's text_embeds and
/// time_ids: one guided loop of the demo's caption → img2img shape (batch 8, 20 steps at strength 0.6, guidance 1.5),
/// with the UNet and its added conditions, against the same loop with a denoiser that makes the UNet wrapper's copies
/// (latents, context, the added conditions) but runs no network — the loop's own work, per scheduler.
/// </summary>
[MemoryDiagnoser]
public class EulerLoopBenchmarks
{
    private const int Batch = 8;
    private ModelBundle _bundle = null!;
    private UNet _unet = null!;
    private Sampler _sampler = null!;
    private Sampler _samplerWithoutNetwork = null!;
    private DiffusionRequest _request = null!;
    private float[] _latents = null!;

    /// <summary>The scheduler config the loop runs.</summary>
    [Params("SgmEulerEDMScheduler", "EulerDiscreteScheduler-karras", "DDIMScheduler")]
    public string Scheduler { get; set; } = "SgmEulerEDMScheduler";

    /// <summary>The loop's step count at strength 0.6 (20 → 12 steps run, 40 → 24; sgm's img2img 11 and 23): equal allocations mean 0 bytes per step.</summary>
    [Params(20, 40)]
    public int Steps { get; set; } = 20;

    [GlobalSetup]
    public void Setup()
    {
        _bundle = ModelBundle.Open(Path.Combine(RepositoryFiles.Root(), "models", "demo-mindeye2"), new ModelBundleOptions { IntraOpThreads = 2 });
        _unet = ModelLoader.UNet(_bundle, 64, 64);
        var pooled = _unet.AddedInputs.TextEmbedsWidth!.Value;
        var ids = _unet.AddedInputs.TimeIdsCount!.Value;
        _unet.Conditions = new AddedConditions(Batch)
            .Set(UNetAddedInputs.TextEmbeds, Enumerable.Range(0, Batch * pooled).Select(i => MathF.Sin(i * 0.1f)).ToArray(), new float[Batch * pooled])
            .Set(UNetAddedInputs.TimeIds, Enumerable.Repeat(64f, Batch * ids).ToArray(), Enumerable.Repeat(64f, Batch * ids).ToArray());
        var context = Batch * ModelLoader.TextEncoder(_bundle).SequenceLength * _unet.TokenWidth;
        _sampler = new Sampler(CreateScheduler(), _unet);
        _samplerWithoutNetwork = new Sampler(CreateScheduler(), new CopyingDenoiser(2 * Batch * _unet.LatentLength, 2 * context, 2 * Batch * (pooled + ids)));
        _request = new DiffusionRequest
        {
            BatchSize = Batch,
            LatentLength = _unet.LatentLength,
            Noise = new GaussianNoiseSource(0),
            Conditioning = Enumerable.Range(0, context).Select(i => MathF.Sin(i * 0.01f)).ToArray(),
            UnconditionalConditioning = Enumerable.Range(0, context).Select(i => MathF.Cos(i * 0.01f)).ToArray(),
            InitLatents = Enumerable.Range(0, Batch * _unet.LatentLength).Select(i => MathF.Sin(i * 0.1f)).ToArray(),
            NumInferenceSteps = Steps,
            GuidanceScale = 1.5f,
            Strength = 0.6,
        };
        _latents = new float[Batch * _unet.LatentLength];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _unet.Dispose();
        _bundle.Dispose();
    }

    [Benchmark(Baseline = true, Description = "denoising loop, demo-mindeye2 UNet with text_embeds and time_ids")]
    public void DenoisingLoop() => _sampler.Sample(_request, _latents);

    [Benchmark(Description = "denoising loop, no network (the loop's own work)")]
    public void DenoisingLoopWithoutNetwork() => _samplerWithoutNetwork.Sample(_request, _latents);

    private IDiffusionScheduler CreateScheduler() => Scheduler switch
    {
        "SgmEulerEDMScheduler" => DiffusionSchedulers.FromJson(File.ReadAllText(_bundle.ResolvePath("scheduler/scheduler_config.json"))),
        "EulerDiscreteScheduler-karras" => DiffusionSchedulers.FromJson("""
            {"_class_name": "EulerDiscreteScheduler", "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
             "use_karras_sigmas": true, "timestep_spacing": "leading", "steps_offset": 1}
            """),
        _ => DiffusionSchedulers.FromJson(File.ReadAllText(Path.Combine(RepositoryFiles.Root(), "models", "demo", "scheduler", "scheduler_config.json"))),
    };
}
