using FmriToImage.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Tests.Onnx;

public sealed class OrtSessionConcurrencyTests
{
    [Fact]
    public void Eight_threads_times_two_hundred_runs_on_one_session_match_a_serial_run()
    {
        const int Threads = 8;
        const int RunsPerThread = 200;
        using var session = GraphSession.Open(TestFiles.OnnxModel("multi_io.onnx"), new SessionSettings { IntraOpThreads = 1 });

        // Each run's inputs are made once and used by both passes: MLAS kernels may sum in a different order when
        // the same numbers sit at a different memory alignment, so bit-identity is only expected for the same buffers.
        var images = Enumerable.Range(0, Threads * RunsPerThread)
            .Select(run => PinnedCopy(Enumerable.Range(0, 48).Select(i => (float)Math.Sin((run * 0.37) + i))))
            .ToArray();
        (float[] Scaled, float[] Mean, long[] Ids) RunOnce(int run)
        {
            using var image = OrtValue.CreateTensor(images[run], [1, 3, 4, 4]);
            using var scale = OrtValue.CreateTensor(new[] { 0.25f + run }, [1]);
            using var ids = OrtValue.CreateTensor(new long[] { run, run * 2 }, [1, 2]);
            using var outputs = session.Run([new("image", image), new("scale", scale), new("ids", ids)]);
            return (outputs[0].ToArray<float>(), outputs[1].ToArray<float>(), outputs[2].ToArray<long>());
        }

        var serial = Enumerable.Range(0, Threads * RunsPerThread).Select(RunOnce).ToArray();
        var parallel = new (float[] Scaled, float[] Mean, long[] Ids)[Threads * RunsPerThread];
        var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            for (var r = 0; r < RunsPerThread; r++)
            {
                var run = (r * Threads) + t;
                parallel[run] = RunOnce(run);
            }
        })).ToArray();
        foreach (var worker in workers)
        {
            worker.Start();
        }

        foreach (var worker in workers)
        {
            worker.Join();
        }

        for (var i = 0; i < serial.Length; i++)
        {
            Assert.Equal(serial[i].Scaled, parallel[i].Scaled);
            Assert.Equal(serial[i].Mean, parallel[i].Mean);
            Assert.Equal(serial[i].Ids, parallel[i].Ids);
        }
    }

    private static float[] PinnedCopy(IEnumerable<float> values)
    {
        var source = values.ToArray();
        var pinned = GC.AllocateArray<float>(source.Length, pinned: true);
        source.CopyTo(pinned, 0);
        return pinned;
    }
}
