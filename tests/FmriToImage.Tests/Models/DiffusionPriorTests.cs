using System.Text.Json;
using FmriToImage.Diffusion;
using FmriToImage.Models;
using FmriToImage.Onnx;
using FmriToImage.Pipelines;

namespace FmriToImage.Tests.Models;

/// <summary>
/// The prior loop on the tiny fixture prior (tests/fixtures/make_bundle.py), against golden_prior.json: the same loop
/// in float64 NumPy — brain tokens from the high-level voxel encoder's weights, DDIM and the seeded generator from
/// tests/fixtures/diffusion/ddim_reference.py.
/// </summary>
public sealed class DiffusionPriorTests(TinyBundle tiny) : IClassFixture<TinyBundle>
{
    // float32 graph and loop against float64: the tokens are O(1); measured worst differences 2.4e-7 and 3.8e-7, so 1e-5
    // leaves a 25× margin while failing any wrong coefficient, timestep, seed or noise order.
    private const double Tolerance = 1e-5;

    private static readonly GoldenCase[] Cases = LoadCases();

    [Fact]
    public void Reads_its_token_width_count_and_scheduler_from_the_bundle()
    {
        using var prior = ModelLoader.Prior(tiny.Bundle);
        Assert.Equal(16, prior.TokenWidth);
        Assert.Equal(5, prior.TokenCount);
        Assert.Equal(int.MaxValue, prior.MaxBatch);
        Assert.Equal(PredictionType.Sample, prior.SchedulerConfig.PredictionType);
        Assert.Equal(BetaSchedule.SquaredCosCapV2, prior.SchedulerConfig.BetaSchedule);
        Assert.Equal(100, prior.SchedulerConfig.NumTrainTimesteps);
    }

    /// <summary>The fixture prior's 'timestep' is int64: a fractional timestep is refused naming the input, before any run, never rounded.</summary>
    [Fact]
    public void An_integer_timestep_graph_refuses_fractional_timesteps_naming_the_input_and_the_scheduler()
    {
        var euler = new EulerDiscreteScheduler(new EulerDiscreteSchedulerConfig());
        euler.SetTimesteps(7); // linspace: 999, 832.5, …
        var graph = new DenoiserGraph(tiny.Bundle.Prior!.Session, "diffusion prior");
        var planned = Assert.Throws<TensorContractException>(() => graph.CheckTimesteps(euler, 0));
        Assert.Equal("timestep", planned.TensorName);
        Assert.Contains("input 'timestep' is Int64", planned.Message);
        Assert.Contains("EulerDiscreteScheduler gives at step 1 of 7 the fractional timestep 832.5", planned.Message);

        var ddim = new DdimScheduler(new DdimSchedulerConfig());
        ddim.SetTimesteps(7);
        graph.CheckTimesteps(ddim, 0); // integer timesteps pass

        using var prior = ModelLoader.Prior(tiny.Bundle);
        var tokens = new float[5 * 16];
        var run = Assert.Throws<TensorContractException>(() => prior.Denoise(tokens, 1, 832.5, tokens, new float[tokens.Length], CancellationToken.None));
        Assert.Contains("the fractional timestep 832.5", run.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void The_loop_matches_the_float64_reference(int index)
    {
        var golden = Cases[index];
        using var prior = ModelLoader.Prior(tiny.Bundle);
        var tokens = prior.Sample(golden.BrainTokens, 1, golden.Steps, golden.Eta, [new GaussianNoiseSource(golden.PriorSeed)]);
        AssertClose(golden.Expected, tokens);
    }

    [Fact]
    public void A_batch_axis_fixed_at_one_on_any_input_limits_runs_to_one_element()
    {
        // Only encoder_hidden_states fixes batch 1 here; the loop must still run a batch of 2 one element at a time.
        using var temp = new Bundle.TempBundle();
        temp.ReplaceWithVariant("prior/model.onnx", "prior_context_batch_1.onnx");
        using var bundle = FmriToImage.Bundle.ModelBundle.Open(temp.Root);
        using var prior = ModelLoader.Prior(bundle);
        Assert.Equal(1, prior.MaxBatch);

        var golden = Cases[0];
        var batch = prior.Sample(golden.BrainTokens.Concat(golden.BrainTokens).ToArray(), 2, golden.Steps, golden.Eta,
            [new GaussianNoiseSource(golden.PriorSeed), new GaussianNoiseSource(golden.PriorSeed)]);
        AssertClose(golden.Expected, batch.AsSpan(0, golden.Expected.Length).ToArray());
        AssertClose(golden.Expected, batch.AsSpan(golden.Expected.Length).ToArray());
    }

    [Fact]
    public void A_disposed_prior_refuses_to_run()
    {
        var golden = Cases[0];
        var prior = ModelLoader.Prior(tiny.Bundle);
        prior.Dispose();
        Assert.Throws<ObjectDisposedException>(() => prior.Sample(golden.BrainTokens, 1, golden.Steps, golden.Eta, [new GaussianNoiseSource(golden.PriorSeed)]));
    }

    [Fact]
    public void A_batch_gives_each_element_what_it_gets_alone()
    {
        var golden = Cases[1]; // η > 0: noise is drawn every step, so a shared stream would show
        using var prior = ModelLoader.Prior(tiny.Bundle);
        var alone = prior.Sample(golden.BrainTokens, 1, golden.Steps, golden.Eta, [new GaussianNoiseSource(golden.PriorSeed)]);
        var batch = prior.Sample(golden.BrainTokens.Concat(golden.BrainTokens).ToArray(), 2, golden.Steps, golden.Eta,
            [new GaussianNoiseSource(golden.PriorSeed), new GaussianNoiseSource(golden.PriorSeed)]);
        AssertClose(alone, batch.AsSpan(0, alone.Length).ToArray());
        AssertClose(alone, batch.AsSpan(alone.Length).ToArray());
    }

    [Fact]
    public void The_decoders_prior_stage_starts_from_the_voxels_and_the_request_seed()
    {
        // Voxels → high-level encoder → prior with the stream seeded from the request seed (seed ^ "prior").
        using var components = new DecoderComponents(tiny.Bundle, PipelineTable.Default);
        foreach (var golden in Cases)
        {
            var voxels = Enumerable.Range(0, 100).Select(i => MathF.Sin((i * 0.37f) + golden.TrialSeed)).ToArray();
            var brainTokens = components.VoxelEncoders.Single(e => e.Name == "highlevel").Encode(voxels, 1).ImageTokens!.ToArray();
            AssertClose(golden.BrainTokens, brainTokens);
            Assert.Equal(golden.PriorSeed, Denoising.PriorSeed(golden.RequestSeed));
            AssertClose(golden.Expected, components.Denoising.RunPrior(brainTokens, 1, golden.Steps, golden.Eta, golden.RequestSeed, CancellationToken.None));
        }
    }

    [Fact]
    public void Equal_inputs_give_equal_bits_and_calls_in_parallel_equal_serial_ones()
    {
        var golden = Cases[1];
        float[] Run()
        {
            using var prior = ModelLoader.Prior(tiny.Bundle);
            return prior.Sample(golden.BrainTokens, 1, golden.Steps, golden.Eta, [new GaussianNoiseSource(golden.PriorSeed)]);
        }

        var serial = Run();
        Assert.Equal(serial, Run());
        foreach (var parallel in Enumerable.Range(0, 4).AsParallel().Select(_ => Run()).ToArray())
        {
            Assert.Equal(serial, parallel);
        }
    }

    [Fact]
    public void A_cancelled_loop_stops_and_the_prior_runs_again_afterwards()
    {
        var golden = Cases[0];
        using var prior = ModelLoader.Prior(tiny.Bundle);
        using var cancellation = new CancellationTokenSource();
        var sampler = new Sampler(new DdimScheduler(prior.SchedulerConfig), prior);
        var request = new DiffusionRequest
        {
            LatentLength = golden.BrainTokens.Length,
            Noise = new GaussianNoiseSource(golden.PriorSeed),
            Conditioning = golden.BrainTokens,
            GuidanceScale = 1,
            NumInferenceSteps = golden.Steps,
        };
        var steps = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => sampler.Sample(request, new CancelAfter(cancellation, () => ++steps == 2), cancellation.Token));
        Assert.Equal(2, steps);

        Assert.ThrowsAny<OperationCanceledException>(() => prior.Sample(golden.BrainTokens, 1, golden.Steps, 0, [new GaussianNoiseSource(1)], cancellation.Token));
        AssertClose(golden.Expected, prior.Sample(golden.BrainTokens, 1, golden.Steps, golden.Eta, [new GaussianNoiseSource(golden.PriorSeed)]));
        prior.Dispose();
        prior.Dispose();
    }

    [Fact]
    public void Inputs_that_do_not_fit_are_refused_naming_the_shapes()
    {
        using var prior = ModelLoader.Prior(tiny.Bundle);
        var six = Assert.Throws<ArgumentException>(() => prior.Sample(new float[6 * 16], 1, 3, 0, [new GaussianNoiseSource(1)]));
        Assert.Contains("fixes 5 tokens", six.Message);
        Assert.Throws<ArgumentException>(() => prior.Sample(new float[5 * 15], 1, 3, 0, [new GaussianNoiseSource(1)]));
        Assert.Throws<ArgumentException>(() => prior.Sample(new float[2 * 80], 2, 3, 0, [new GaussianNoiseSource(1)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => prior.Sample(new float[80], 1, 101, 0, [new GaussianNoiseSource(1)]));
        Assert.Throws<FmriToImage.Onnx.TensorContractException>(() => new DiffusionPrior(tiny.Bundle.Unet!.Session, prior.SchedulerConfig));
    }

    private static void AssertClose(IReadOnlyList<float> expected, IReadOnlyList<float> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance, $"element {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    private static GoldenCase[] LoadCases()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(TestFiles.Fixture("bundle", "golden_prior.json")));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => new GoldenCase(
            c.GetProperty("trial_seed").GetInt32(),
            c.GetProperty("request_seed").GetUInt64(),
            c.GetProperty("prior_seed").GetUInt64(),
            c.GetProperty("steps").GetInt32(),
            (float)c.GetProperty("eta").GetDouble(),
            c.GetProperty("brain_tokens").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray(),
            c.GetProperty("expected").EnumerateArray().Select(v => (float)v.GetDouble()).ToArray())).ToArray();
    }

    private sealed record GoldenCase(int TrialSeed, ulong RequestSeed, ulong PriorSeed, int Steps, float Eta, float[] BrainTokens, float[] Expected);

    private sealed class CancelAfter(CancellationTokenSource source, Func<bool> shouldCancel) : IProgress<DiffusionStep>
    {
        public void Report(DiffusionStep value)
        {
            if (shouldCancel())
            {
                source.Cancel();
            }
        }
    }
}
