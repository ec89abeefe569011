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
    private GraphSession _session = null!;
    private OrtValue _a = null!;
    private OrtValue _sum = null!;
    private OrtIoBinding _binding = null!;
    private RunOptions _runOptions = null!;
    private CancellationTokenSource _cancellation = null!;

    [GlobalSetup]
    public void Setup()
    {
        _session = GraphSession.Open(Path.Combine(AppContext.BaseDirectory, "fixtures", "onnx", "add.onnx"), new SessionSettings { IntraOpThreads = 1 });
        _a = AlignedTensor.Copy<float>([1, 2, 3], [1, 3]);
        _sum = AlignedTensor.Zeroed<float>([1, 3]);
        _runOptions = new RunOptions();
        _binding = _session.CreateIoBinding();
        _binding.BindInput("a", _a);
        _binding.BindInput("b", _a);
        _binding.BindOutput("sum", _sum);
        _cancellation = new CancellationTokenSource();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _binding.Dispose();
        _runOptions.Dispose();
        _sum.Dispose();
        _a.Dispose();
        _session.Dispose();
        _cancellation.Dispose();
    }

    [Benchmark(Baseline = true, Description = "Run, ORT-allocated outputs")]
    public float AllocatedOutputs()
    {
        using var outputs = _session.Run([new("a", _a), new("b", _a)]);
        return outputs[0].GetTensorMutableDataAsSpan<float>()[0];
    }

    [Benchmark(Description = "Run, preallocated outputs")]
    public void PreallocatedOutputs() => _session.Run([new("a", _a), new("b", _a)], [new NamedValue("sum", _sum)]);

    [Benchmark(Description = "Run, preallocated + cancellable token")]
    public void PreallocatedOutputsCancellable() => _session.Run([new("a", _a), new("b", _a)], [new NamedValue("sum", _sum)], cancellationToken: _cancellation.Token);

    [Benchmark(Description = "Run with IoBinding")]
    public void IoBinding() => _session.Run(_binding, _runOptions);
}
