using FmriToImage.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Tests.Onnx;

public sealed class OrtIoBindingTests
{
    [Fact]
    public void Bound_inputs_and_outputs_run_many_times_without_rebinding()
    {
        using var session = GraphSession.Open(TestFiles.OnnxModel("add.onnx"));
        var a = new float[] { 1, 2, 3 };
        var b = new float[] { 10, 20, 30 };
        var sum = new float[3];
        using var va = OrtValue.CreateTensor(a, [1, 3]);
        using var vb = OrtValue.CreateTensor(b, [1, 3]);
        using var vs = OrtValue.CreateTensor(sum, [1, 3]);
        using var binding = session.CreateIoBinding();
        using var runOptions = new RunOptions();
        session.Bind(binding, "a", va, isInput: true);
        session.Bind(binding, "b", vb, isInput: true);
        session.Bind(binding, "sum", vs, isInput: false);

        for (var step = 0; step < 5; step++)
        {
            a[0] = step; // CPU inputs are read in place at each run
            session.Run(binding, runOptions);
            Assert.Equal([step + 10f, 22, 33], sum);
        }

        Assert.Equal(["sum"], binding.GetOutputNames());
        using var outputs = binding.GetOutputValues();
        Assert.Equal([14f, 22, 33], outputs.First().ToArray<float>());
    }

    [Fact]
    public void With_another_provider_each_run_binds_the_inputs_again_and_sees_their_new_values()
    {
        // A hook marks the session as possibly running on a device provider (there host inputs are copied when bound,
        // so the session binds them again before each run). On CPU the hook appends nothing: the path runs here, and
        // tests/gpu runs it on CUDA.
        using var session = GraphSession.Open(TestFiles.OnnxModel("add.onnx"), new SessionSettings { Configure = _ => { } });
        Assert.Contains("(application hook)", session.ExecutionProviders);
        var a = new float[] { 1, 2, 3 };
        var b = new float[] { 10, 20, 30 };
        var sum = new float[3];
        using var va = OrtValue.CreateTensor(a, [1, 3]);
        using var vb = OrtValue.CreateTensor(b, [1, 3]);
        using var vs = OrtValue.CreateTensor(sum, [1, 3]);
        using var binding = session.CreateIoBinding();
        using var runOptions = new RunOptions();
        session.Bind(binding, "a", va, isInput: true);
        session.Bind(binding, "b", vb, isInput: true);
        session.Bind(binding, "sum", vs, isInput: false);
        for (var step = 0; step < 3; step++)
        {
            a[0] = step;
            b[2] = 100 * step;
            session.Run(binding, runOptions);
            Assert.Equal([step + 10f, 22, 3 + (100f * step)], sum);
        }

        using var other = OrtValue.CreateTensor(new float[] { 5, 5, 5 }, [1, 3]);
        session.Bind(binding, "b", other, isInput: true); // a rebinding replaces the kept input, not adds one
        session.Run(binding, runOptions);
        Assert.Equal([7f, 7, 8], sum);
    }

    [Fact]
    public void An_output_bound_to_a_device_is_allocated_by_the_runtime()
    {
        using var session = GraphSession.Open(TestFiles.OnnxModel("add.onnx"));
        using var va = OrtValue.CreateTensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        using var binding = session.CreateIoBinding();
        using var runOptions = new RunOptions();
        session.Bind(binding, "a", va, isInput: true);
        session.Bind(binding, "b", va, isInput: true);
        binding.BindOutputToDevice("sum", OrtMemoryInfo.DefaultInstance);
        session.Run(binding, runOptions);
        using var outputs = binding.GetOutputValues();
        Assert.Equal([2L, 3], outputs.First().Shape);
        Assert.Equal([2f, 4, 6, 8, 10, 12], outputs.First().ToArray<float>());
    }

    [Fact]
    public void Binding_checks_the_contract()
    {
        using var session = GraphSession.Open(TestFiles.OnnxModel("add.onnx"));
        using var wrong = OrtValue.CreateTensor(new int[3], [1, 3]);
        using var binding = session.CreateIoBinding();
        Assert.Throws<TensorContractException>(() => session.Bind(binding, "a", wrong, isInput: true));
        Assert.Throws<TensorContractException>(() => session.Bind(binding, "nope", wrong, isInput: true));
        Assert.Throws<TensorContractException>(() => session.Bind(binding, "nope", wrong, isInput: false));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the device path binds inputs again before the run: only while the session is alive
    public void A_disposed_session_refuses_to_run_its_binding(bool devicePath)
    {
        var settings = devicePath ? new SessionSettings { Configure = _ => { } } : SessionSettings.Default;
        var session = GraphSession.Open(TestFiles.OnnxModel("add.onnx"), settings);
        using var a = OrtValue.CreateTensor(new float[] { 1, 2, 3 }, [1, 3]);
        using var binding = session.CreateIoBinding();
        using var runOptions = new RunOptions();
        session.Bind(binding, "a", a, isInput: true);
        session.Bind(binding, "b", a, isInput: true);
        session.Dispose();
        Assert.Throws<ObjectDisposedException>(() => session.Run(binding, runOptions));
    }

    [Fact]
    public void Clearing_and_disposing_are_safe()
    {
        using var session = GraphSession.Open(TestFiles.OnnxModel("add.onnx"));
        using var va = OrtValue.CreateTensor(new float[3], [1, 3]);
        var binding = session.CreateIoBinding();
        session.Bind(binding, "a", va, isInput: true);
        binding.ClearBoundInputs();
        binding.ClearBoundOutputs();
        binding.SynchronizeBoundInputs();
        binding.SynchronizeBoundOutputs();
        binding.Dispose();
        binding.Dispose();
    }
}
