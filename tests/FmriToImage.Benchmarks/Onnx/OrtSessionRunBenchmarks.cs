using BenchmarkDotNet.Attributes;
using FmriToImage.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Benchmarks.Onnx;

/// <summary>
/// The binding's cost per run on a model whose own work is negligible (add.onnx, [1, 3] floats): what each Run form
/// costs on top of ONNX Runtime itself. Input/output names are pre-encoded once per session (pinned UTF-8 block), so
/// a run marshals no strings.
/// </summary>
[MemoryDiagnoser]
public class OrtSessionRunBenchmarks
{
    private GraphSession session = null!;
    private OrtValue a = null!;
    private OrtValue sum = null!;
    private OrtIoBinding binding = null!;
    private RunOptions runOptions = null!;
    private CancellationTokenSource cancellation = null!;

    [GlobalSetup]
    public void Setup()
    {
        session = GraphSession.Open(Path.Combine(AppContext.BaseDirectory, "fixtures", "onnx", "add.onnx"), new SessionSettings { IntraOpThreads = 1 });
        a = AlignedTensor.Copy<float>([1, 2, 3], [1, 3]);
        sum = AlignedTensor.Zeroed<float>([1, 3]);
        runOptions = new RunOptions();
        binding = session.CreateIoBinding();
        binding.BindInput("a", a);
        binding.BindInput("b", a);
        binding.BindOutput("sum", sum);
        cancellation = new CancellationTokenSource();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        binding.Dispose();
        runOptions.Dispose();
        sum.Dispose();
        a.Dispose();
        session.Dispose();
        cancellation.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Run, ORT-allocated outputs")]
    public float AllocatedOutputs()
    {
        using var outputs = session.Run([new("a", a), new("b", a)]);
        return outputs[0].GetTensorMutableDataAsSpan<float>()[0];
    }

    [Benchmark(Description = "Run, preallocated outputs")]
    public void PreallocatedOutputs() => session.Run([new("a", a), new("b", a)], [new NamedValue("sum", sum)]);

    [Benchmark(Description = "Run, preallocated + cancellable token")]
    public void PreallocatedOutputsCancellable() => session.Run([new("a", a), new("b", a)], [new NamedValue("sum", sum)], cancellationToken: cancellation.Token);

    [Benchmark(Description = "Run with IoBinding")]
    public void IoBinding() => session.Run(binding, runOptions);
}
