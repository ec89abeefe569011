using BenchmarkDotNet.Attributes;
using FmriToImage.Data;
using FmriToImage.Data.Atlas;
using FmriToImage.Data.Nsd;
using FmriToImage.Interpretation;

namespace FmriToImage.Benchmarks.Interpretation;

/// <summary>
/// Leave-one-ROI-out on the demo bundle (models/demo, subj01): 8 held-out trials × the 19 ROIs of prf-visualrois and
/// floc-* (152 perturbations + 8 unchanged trials), the 20 rows of a trial in one high-level encoder run (as
/// <see cref="BrainDecoder"/> does) vs one run per row (baseline).
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class LeaveOneOutBenchmarks
{
    private const int Trials = 8;
    private static readonly string[] Files = ["prf-visualrois", "floc-faces", "floc-bodies", "floc-places"];
    private BrainDecoder _decoder = null!;
    private VoxelMatrix _trials = null!;
    private DecoderRegion[] _regions = null!;

    [GlobalSetup]
    public void Setup()
    {
        var root = RepositoryFiles.Root();
        var data = Path.Combine(root, "samples", "data", "nsd-mini");
        _decoder = BrainDecoder.Load(Path.Combine(root, "models", "demo"));
        var test = NsdTestSet.Load(data, 1, Trials);
        _trials = test.Voxels;
        var atlases = Files.Select(f => RoiAtlas.Load(NsdLayout.RoiPath(data, 1, f), NsdLayout.LabelTablePath(data, 1, f), f)).ToArray();
        string[] names =
        [
            "V1v", "V1d", "V2v", "V2d", "V3v", "V3d", "hV4", "OFA", "FFA-1", "FFA-2", "mTL-faces", "aTL-faces",
            "EBA", "FBA-1", "FBA-2", "mTL-bodies", "OPA", "PPA", "RSC",
        ];
        _regions = RoiRegions.FromAtlases(VoxelMask.FromNifti(_decoder.NsdgeneralMaskPath!), VoxelOrder.NumpyXyz, atlases, names);
    }

    [GlobalCleanup]
    public void Cleanup() => _decoder.Dispose();

    [Benchmark(Baseline = true, Description = "one encoder run per row, 8 trials × 19 ROIs")]
    public float OneRowPerRun() => LeaveOneOut.Compute(_trials.Values, Trials, _decoder.VoxelCount, _regions, (rows, count, ct) =>
    {
        var result = new List<float>();
        for (int r = 0; r < count; r++)
        {
            result.AddRange(_decoder.EmbedBrain(rows.Slice(r * _decoder.VoxelCount, _decoder.VoxelCount)));
        }

        return result.ToArray();
    }).Mean[0];

    [Benchmark(Description = "BrainDecoder.Explain (20 rows per run), 8 trials × 19 ROIs")]
    public float Batched() => _decoder.ExplainRegions(_trials, _regions).Mean[0];
}
