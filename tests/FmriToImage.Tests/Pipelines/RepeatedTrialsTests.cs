using FmriToImage.Data;
using FmriToImage.Pipelines;

namespace FmriToImage.Tests.Pipelines;

/// <summary>
/// MindEye2's repetition rule (<see cref="RepetitionAveraging.Outputs"/>) through every pipeline of the table: each
/// pipeline encodes the repeats of one image separately and averages the encoder's outputs, so two identical repeats
/// reconstruct exactly what one row does (a review found three pipelines that ignored the repeat count).
/// </summary>
public sealed class RepeatedTrialsTests
{
    private static readonly float[] DemoVoxels = Enumerable.Range(0, 2534).Select(i => MathF.Sin((i * 0.37f) + 1)).ToArray();

    public static TheoryData<ReconstructionPipeline> Pipelines() => [.. PipelineTable.Default.Rows.Select(r => r.Pipeline)];

    [Theory]
    [MemberData(nameof(Pipelines))]
    public void Two_identical_repeats_averaged_by_outputs_reconstruct_what_one_row_does(ReconstructionPipeline pipeline)
    {
        using var decoder = BrainDecoder.Load(TestFiles.RepoPath("models", "demo"));
        Assert.Contains(pipeline, decoder.AvailablePipelines);
        var row = PipelineTable.Default[pipeline];
        var request = new ReconstructionRequest
        {
            Pipeline = pipeline,
            Seed = 3,
            Samples = 2,
            Steps = row.UsesDiffusion ? 4 : null,
            RepetitionAveraging = RepetitionAveraging.Outputs,
        };

        var once = decoder.ReconstructRepeats(new VoxelMatrix(DemoVoxels, 1, DemoVoxels.Length), request);
        var twice = decoder.ReconstructRepeats(new VoxelMatrix([.. DemoVoxels, .. DemoVoxels], 2, DemoVoxels.Length), request);

        Assert.Equal(once.Image.Pixels.ToArray(), twice.Image.Pixels.ToArray());
    }
}
