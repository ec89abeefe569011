using System.Diagnostics;
using FmriToImage.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Tests.Onnx;

public sealed class OrtSessionCancellationTests
{
    [Fact]
    public void Cancelling_a_long_running_graph_ends_the_run_and_the_run_options_stay_reusable()
    {
        using var session = GraphSession.Open(TestFiles.OnnxModel("loop.onnx"), new SessionSettings { IntraOpThreads = 1 });
        using var x = OrtValue.CreateTensor(Enumerable.Range(0, 64 * 64).Select(i => (i % 7) * 0.1f).ToArray(), [64, 64]);
        using var forever = OrtValue.CreateTensor(new[] { long.MaxValue }, ReadOnlySpan<long>.Empty);
        using var runOptions = new RunOptions();
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<OperationCanceledException>(() => session.Run([new("trip_count", forever), new("x", x)], runOptions, cancellation.Token));
        clock.Stop();
        Assert.Equal(cancellation.Token, error.CancellationToken);
        // The run was in native code when the token fired (it had started before the 200 ms were up), so it ended
        // through the terminate flag, not the check before the call ...
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(150), $"the run ended after {clock.Elapsed}, before the token fired");
        // ... and it ended: a bound, not a speed measurement; without cancellation this run would never end.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"cancellation took {clock.Elapsed}");

        using var three = OrtValue.CreateTensor(new[] { 3L }, ReadOnlySpan<long>.Empty);
        using var outputs = session.Run([new("trip_count", three), new("x", x)], runOptions);
        Assert.Equal([64L, 64], outputs[0].Shape.ToArray());
        Assert.All(outputs[0].ToArray<float>(), v => Assert.InRange(v, -1f, 1f));
    }

    [Fact]
    public void A_token_cancelled_before_the_run_throws_at_once()
    {
        using var session = GraphSession.Open(TestFiles.OnnxModel("add.onnx"));
        using var v = OrtValue.CreateTensor(new float[3], [1, 3]);
        Assert.Throws<OperationCanceledException>(() => session.Run([new("a", v), new("b", v)], cancellationToken: new CancellationToken(canceled: true)));
    }

    [Fact]
    public void A_cancellable_token_that_is_not_cancelled_lets_runs_complete()
    {
        using var session = GraphSession.Open(TestFiles.OnnxModel("add.onnx"));
        using var v = OrtValue.CreateTensor(new float[] { 1, 2, 3 }, [1, 3]);
        using var source = new CancellationTokenSource();
        for (var i = 0; i < 10; i++)
        {
            using var outputs = session.Run([new("a", v), new("b", v)], cancellationToken: source.Token);
            Assert.Equal([2f, 4, 6], outputs[0].ToArray<float>());
        }
    }

    [Fact]
    public void Terminating_run_options_by_hand_fails_the_run_with_an_ort_exception_until_reset()
    {
        using var session = GraphSession.Open(TestFiles.OnnxModel("add.onnx"));
        using var v = OrtValue.CreateTensor(new float[3], [1, 3]);
        using var runOptions = new RunOptions();
        runOptions.LogId = "terminated-by-hand";
        runOptions.Terminate = true;
        var error = Assert.Throws<OrtException>(() => session.Run([new("a", v), new("b", v)], runOptions));
        Assert.Equal("Fail", error.ErrorCode);
        Assert.Contains("terminate", error.RuntimeMessage, StringComparison.OrdinalIgnoreCase);
        runOptions.Terminate = false;
        using var outputs = session.Run([new("a", v), new("b", v)], runOptions);
        Assert.Single(outputs);
    }
}
