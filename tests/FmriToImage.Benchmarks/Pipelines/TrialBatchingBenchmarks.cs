using BenchmarkDotNet.Attributes;
using FmriToImage.Data;
using FmriToImage.Data.Nsd;

namespace FmriToImage.Benchmarks.Pipelines;

/// <summary>
/// <see cref="BrainDecoder.ReconstructAllAsync"/> on the demo bundle (models/demo) for 16 held-out trials, with the
/// encoders run one trial at a time (batch size 1) or <see cref="BrainDecoderOptions.TrialBatchSize"/> trials at once.
/// </summary>
[MemoryDiagnoser]
public class TrialBatchingBenchmarks
{
    private const int Trials = 16;
    private BrainDecoder _decoder = null!;
    private VoxelMatrix _trials = null!;

    [Params(ReconstructionPipeline.CaptionImg2Img, ReconstructionPipeline.Unclip)]
    public ReconstructionPipeline Pipeline { get; set; }

    [Params(1, 8)]
    public int TrialBatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var root = RepositoryFiles.Root();
        _decoder = BrainDecoder.Load(Path.Combine(root, "models", "demo"), new BrainDecoderOptions { TrialBatchSize = TrialBatchSize });
        var test = NsdTestSet.Load(Path.Combine(root, "samples", "data", "nsd-mini"), 1);
        _trials = new VoxelMatrix(test.Voxels.Values[..(Trials * test.Voxels.VoxelCount)].ToArray(), Trials, test.Voxels.VoxelCount);
    }

    [GlobalCleanup]
    public void Cleanup() => _decoder.Dispose();

    [Benchmark(Description = "ReconstructAllAsync, 16 demo trials")]
    public async Task<int> ReconstructAll()
    {
        var count = 0;
        await foreach (var result in _decoder.ReconstructAllAsync(_trials, new ReconstructionRequest { Pipeline = Pipeline, Seed = 1 }))
        {
            count += result.Image.Width;
        }

        return count;
    }
}
