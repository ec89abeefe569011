using FmriToImage.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Tests.Onnx;

// Runs alone (a non-parallel collection): other tests allocating native memory at the same time inflate the resident
// size this test measures (it failed once under a loaded full run, 2026-11-22).
[Collection(nameof(ProcessEnvironmentCollection))]
public sealed class OrtLeakTests
{
    // The bound: 2,000 cycles each create a session (ONNX Runtime allocates ~100 KB of graph, kernels and arena per
    // session), two input values and ORT-allocated outputs. Leaking any of those per cycle would grow the process by
    // hundreds of MB; the bound leaves room for allocator caching and runtime noise only.
    private const long GrowthBoundBytes = 48L * 1024 * 1024;

    [Fact]
    public void Two_thousand_create_run_dispose_cycles_keep_resident_memory_bounded()
    {
        var model = File.ReadAllBytes(TestFiles.OnnxModel("add.onnx"));
        var input = new float[] { 1, 2, 3, 4, 5, 6 };

        void Cycle()
        {
            using var session = GraphSession.FromBytes(model, new SessionSettings { IntraOpThreads = 1 }, "leak-test add");
            using var a = OrtValue.CreateTensor(input, [2, 3]);
            using var b = AlignedTensor.Zeroed<float>([2, 3]);
            input.CopyTo(b.GetTensorMutableDataAsSpan<float>());
            using var outputs = session.Run([new("a", a), new("b", b)]);
            using var binding = session.CreateIoBinding();
            binding.BindInput("a", a);
            binding.BindInput("b", b);
            binding.BindOutputToDevice("sum", OrtMemoryInfo.DefaultInstance);
            using var runOptions = new RunOptions();
            session.Run(binding, runOptions);
            using var bound = binding.GetOutputValues();
            if (outputs[0].GetTensorMutableDataAsSpan<float>()[5] != 12f || bound[0].GetTensorMutableDataAsSpan<float>()[5] != 12f)
            {
                throw new InvalidOperationException("wrong result");
            }
        }

        for (var i = 0; i < 200; i++)
        {
            Cycle(); // warm-up: thread pools, allocator caches, JIT
        }

        var before = ResidentMemory.Bytes();
        for (var i = 0; i < 2000; i++)
        {
            Cycle();
        }

        var after = ResidentMemory.Bytes();
        Assert.True(after - before < GrowthBoundBytes, $"resident memory grew by {(after - before) / 1024.0 / 1024.0:F1} MB over 2,000 cycles (bound {GrowthBoundBytes / 1024 / 1024} MB)");
    }
}
