using FmriToImage.Onnx;

namespace FmriToImage.Tests.Onnx;

public sealed class OrtIoBindingTests
{
    [Fact]
    public void Bound_inputs_and_outputs_run_many_times_without_rebinding()
    {
        using var session = OrtSession.Open(TestFiles.OnnxModel("add.onnx"));
        var a = new float[] { 1, 2, 3 };
        var b = new float[] { 10, 20, 30 };
        var sum = new float[3];
        using var va = OrtValue.CreateTensor(a, [1, 3]);
        using var vb = OrtValue.CreateTensor(b, [1, 3]);
        using var vs = OrtValue.CreateTensor(sum, [1, 3]);
        using var binding = session.CreateIoBinding();
        binding.BindInput("a", va);
        binding.BindInput("b", vb);
        binding.BindOutput("sum", vs);

        for (var step = 0; step < 5; step++)
        {
            a[0] = step; // CPU inputs are read in place at each run
            session.Run(binding);
            Assert.Equal([step + 10f, 22, 33], sum);
        }

        using var outputs = binding.GetOutputValues();
        Assert.Equal(["sum"], outputs.Names);
        Assert.Equal([14f, 22, 33], outputs[0].ToArray<float>());
    }

    [Fact]
    public void An_output_bound_to_a_device_is_allocated_by_the_runtime()
    {
        using var session = OrtSession.Open(TestFiles.OnnxModel("add.onnx"));
        using var va = OrtValue.CreateTensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        using var binding = session.CreateIoBinding();
        binding.BindInput("a", va);
        binding.BindInput("b", va);
        binding.BindOutputToDevice("sum", OrtMemoryInfo.Cpu);
        session.Run(binding);
        using var outputs = binding.GetOutputValues();
        Assert.Equal([2L, 3], outputs["sum"].Shape.ToArray());
        Assert.Equal([2f, 4, 6, 8, 10, 12], outputs["sum"].ToArray<float>());
    }

    [Fact]
    public void Binding_checks_the_contract_and_the_owning_session()
    {
        using var session = OrtSession.Open(TestFiles.OnnxModel("add.onnx"));
        using var other = OrtSession.Open(TestFiles.OnnxModel("add.onnx"));
        using var wrong = OrtValue.CreateTensor(new int[3], [1, 3]);
        using var binding = session.CreateIoBinding();
        Assert.Throws<TensorContractException>(() => binding.BindInput("a", wrong));
        Assert.Throws<TensorContractException>(() => binding.BindInput("nope", wrong));
        Assert.Throws<TensorContractException>(() => binding.BindOutputToDevice("nope", OrtMemoryInfo.Cpu));
        var error = Assert.Throws<ArgumentException>(() => other.Run(binding));
        Assert.Contains("binding was created by session", error.Message);
    }

    [Fact]
    public void A_binding_keeps_its_session_and_bound_values_alive_after_the_caller_disposes_them()
    {
        var session = OrtSession.Open(TestFiles.OnnxModel("add.onnx"));
        var a = OrtValue.CreateTensor(new float[] { 1, 2, 3 }, [1, 3]);
        var sum = new float[3];
        var vs = OrtValue.CreateTensor(sum, [1, 3]);
        using var binding = session.CreateIoBinding();
        binding.BindInput("a", a);
        binding.BindInput("b", a);
        binding.BindOutput("sum", vs);

        // The caller disposes everything but the binding: the native objects (and the pinned memory) must survive
        // until the binding lets go; using the disposed wrappers directly is refused.
        a.Dispose();
        vs.Dispose();
        session.Dispose();
        Assert.Throws<ObjectDisposedException>(() => a.GetTensorData<float>());
        Assert.Throws<ObjectDisposedException>(() => session.Run(binding));

        GC.Collect();
        GC.WaitForPendingFinalizers();
        // Native calls that read the session and the bound values still work: they are alive until the binding goes.
        binding.SynchronizeInputs();
        binding.ClearBoundOutputs();
        binding.BindOutputToDevice("sum", OrtMemoryInfo.Cpu);
        binding.ClearBoundInputs();
    }

    [Fact]
    public void Output_values_read_back_from_a_binding_keep_the_preallocated_memory_pinned()
    {
        using var session = OrtSession.Open(TestFiles.OnnxModel("add.onnx"));
        using var a = OrtValue.CreateTensor(new float[] { 1, 2, 3 }, [1, 3]);
        var sum = OrtValue.CreateTensor(new float[3], [1, 3]);
        var binding = session.CreateIoBinding();
        binding.BindInput("a", a);
        binding.BindInput("b", a);
        binding.BindOutput("sum", sum);
        session.Run(binding);
        using var outputs = binding.GetOutputValues();
        binding.Dispose();
        sum.Dispose();
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.Equal([2f, 4, 6], outputs[0].ToArray<float>());
    }

    [Fact]
    public void Clearing_and_disposing_are_safe()
    {
        using var session = OrtSession.Open(TestFiles.OnnxModel("add.onnx"));
        using var va = OrtValue.CreateTensor(new float[3], [1, 3]);
        var binding = session.CreateIoBinding();
        binding.BindInput("a", va);
        binding.ClearBoundInputs();
        binding.ClearBoundOutputs();
        binding.SynchronizeInputs();
        binding.SynchronizeOutputs();
        binding.Dispose();
        binding.Dispose();
        Assert.Throws<ObjectDisposedException>(() => binding.BindInput("a", va));
    }
}
