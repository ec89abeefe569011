using FmriToImage.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Tests.Onnx;

public sealed class OrtSessionTests
{
    [Fact]
    public void Reads_inputs_outputs_with_symbolic_dimensions()
    {
        using var session = GraphSession.Open(TestFiles.OnnxModel("multi_io.onnx"));

        Assert.Equal(["image", "scale", "ids"], session.Inputs.Select(i => i.Name));
        Assert.Equal(["scaled", "mean", "ids_plus_one"], session.Outputs.Select(o => o.Name));
        var image = session.Inputs[0];
        Assert.Equal(OnnxValueType.ONNX_TYPE_TENSOR, image.Kind);
        Assert.Equal(TensorElementType.Float, image.ElementType);
        Assert.Equal([-1L, 3, 4, 4], image.Dimensions);
        Assert.Equal(["batch", "", "", ""], image.SymbolicDimensions);
        Assert.Equal("[batch, 3, 4, 4]", image.ShapeText);
        Assert.True(image.IsDynamic);
        Assert.Equal(TensorElementType.Int64, session.Inputs[2].ElementType);
        Assert.Equal("[batch, seq]", session.Inputs[2].ShapeText);
        Assert.False(session.Inputs[1].IsDynamic);
        Assert.Equal("ids: int64 [batch, seq]", session.Inputs[2].ToString());
    }

    [Fact]
    public void Reads_model_metadata_including_custom_pairs()
    {
        using var session = GraphSession.Open(TestFiles.OnnxModel("add.onnx"));
        var metadata = session.Metadata;
        Assert.Equal("fmri2img-fixtures", metadata.ProducerName);
        Assert.Equal("add_graph", metadata.GraphName);
        Assert.Equal("org.fmritoimage.tests", metadata.Domain);
        Assert.Equal("Adds two float tensors.", metadata.Description);
        Assert.Equal("sum = a + b", metadata.GraphDescription);
        Assert.Equal(7, metadata.Version);
        Assert.Equal("binding tests", metadata.CustomMetadataMap["purpose"]);
        Assert.Equal("tests/fixtures/make_onnx_models.py", metadata.CustomMetadataMap["source"]);
    }

    [Fact]
    public void Reports_the_execution_providers_that_run_nodes()
    {
        using var session = GraphSession.Open(TestFiles.OnnxModel("multi_io.onnx"));
        Assert.Equal(["CPUExecutionProvider"], session.ExecutionProviders);
        Assert.Null(session.ExecutionProviderFallbackReason);
        Assert.Equal(ExecutionProviderPolicy.Cpu, session.ExecutionProviderPolicy);
    }

    [Fact]
    public void Loads_from_bytes_under_the_given_name()
    {
        using var session = GraphSession.FromBytes(File.ReadAllBytes(TestFiles.OnnxModel("add.onnx")), modelName: "in-memory add");
        Assert.Equal("in-memory add", session.ModelName);
        Assert.Equal(["a", "b"], session.Inputs.Select(i => i.Name));
    }

    [Fact]
    public void A_missing_file_raises_a_typed_exception_naming_it()
    {
        var error = Assert.Throws<ModelFileNotFoundException>(() => GraphSession.Open("models/none/model.onnx"));
        Assert.Equal("models/none/model.onnx", error.ModelPath);
        Assert.Contains("models/none/model.onnx", error.Message);
        Assert.IsAssignableFrom<FmriToImageException>(error);
    }

    [Fact]
    public void Random_bytes_as_a_model_raise_an_ort_exception_naming_the_file()
    {
        var path = Path.Combine(Path.GetTempPath(), $"random-{Guid.NewGuid():N}.onnx");
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        try
        {
            var error = Assert.Throws<OrtException>(() => GraphSession.Open(path));
            Assert.Equal("InvalidProtobuf", error.ErrorCode);
            Assert.Contains(path, error.Message);
            Assert.Contains("creating a session", error.Operation);

            var fromBytes = Assert.Throws<OrtException>(() => GraphSession.FromBytes(bytes, modelName: "random bytes"));
            Assert.Contains("random bytes", fromBytes.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Options_are_applied_and_bad_ones_are_rejected_by_name()
    {
        var optimized = Path.Combine(Path.GetTempPath(), $"optimized-{Guid.NewGuid():N}.onnx");
        try
        {
            var options = new SessionSettings
            {
                IntraOpThreads = 1,
                InterOpThreads = 1,
                ExecutionMode = ExecutionMode.ORT_PARALLEL,
                GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_BASIC,
                EnableMemoryPattern = false,
                EnableCpuMemoryArena = false,
                OptimizedModelFilePath = optimized,
                ConfigEntries = new Dictionary<string, string> { ["session.intra_op.allow_spinning"] = "0" },
                LogId = "options-test",
            };
            using (var session = GraphSession.Open(TestFiles.OnnxModel("add.onnx"), options))
            {
                Assert.Equal(2, session.Inputs.Count);
            }

            Assert.True(File.Exists(optimized), "the optimised model is written where OptimizedModelFilePath says");
            using var reopened = GraphSession.Open(optimized, new SessionSettings { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL });
            Assert.Equal(["sum"], reopened.Outputs.Select(o => o.Name));

            Assert.Throws<ArgumentOutOfRangeException>(() => GraphSession.Open(TestFiles.OnnxModel("add.onnx"), new SessionSettings { IntraOpThreads = -1 }));
        }
        finally
        {
            File.Delete(optimized);
        }
    }

    /// <summary>
    /// Workers spin only while a run is in progress unless asked otherwise (docs/performance.md measures why); ONNX
    /// Runtime's verbose log of the session options shows what it received, and a config entry wins.
    /// </summary>
    [Theory]
    [InlineData((int)ThreadSpinning.WhileRunning, null, "1", "1")]
    [InlineData((int)ThreadSpinning.Off, null, "0", "0")]
    [InlineData((int)ThreadSpinning.Always, null, "1", "0")]
    [InlineData((int)ThreadSpinning.Off, "1", "1", "0")]
    public void Spinning_maps_to_the_two_config_keys_and_a_config_entry_wins(int spinning, string? entry, string allow, string stop)
    {
        Assert.Equal(ThreadSpinning.WhileRunning, new SessionSettings().Spinning);
        var logId = $"spinning-{Guid.NewGuid():N}";
        var recorder = new RecordingLogger();
        var previous = OnnxEnvironment.Logger;
        OnnxEnvironment.Logger = recorder;
        try
        {
            var entries = entry is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["session.intra_op.allow_spinning"] = entry };
            using var session = GraphSession.Open(TestFiles.OnnxModel("add.onnx"), new SessionSettings { Spinning = (ThreadSpinning)spinning, ConfigEntries = entries, LogLevel = Microsoft.Extensions.Logging.LogLevel.Trace, LogId = logId });
        }
        finally
        {
            OnnxEnvironment.Logger = previous;
        }

        string options;
        lock (recorder.Entries)
        {
            options = recorder.Entries.Select(e => e.Message).Single(m => m.Contains(logId, StringComparison.Ordinal) && m.Contains("config_options", StringComparison.Ordinal));
        }

        Assert.Contains($"session.intra_op.allow_spinning: {allow} ", options, StringComparison.Ordinal);
        Assert.Contains($"session.force_spinning_stop: {stop} ", options, StringComparison.Ordinal);
        if ((ThreadSpinning)spinning == ThreadSpinning.WhileRunning)
        {
            Assert.Contains("session.intra_op.spin_duration_us: 50 ", options, StringComparison.Ordinal);
        }
        else
        {
            Assert.DoesNotContain("session.intra_op.spin_duration_us", options, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_spin_duration_below_one_microsecond_is_refused_naming_the_setting()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => GraphSession.Open(TestFiles.OnnxModel("add.onnx"), new SessionSettings { SpinMicroseconds = 0 }));
        Assert.Contains("SpinMicroseconds", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_undefined_spinning_value_is_refused_naming_the_setting()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => GraphSession.Open(TestFiles.OnnxModel("add.onnx"), new SessionSettings { Spinning = (ThreadSpinning)7 }));
        Assert.Contains("Spinning", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Dispose_is_idempotent_and_use_after_dispose_is_refused()
    {
        var session = GraphSession.Open(TestFiles.OnnxModel("add.onnx"));
        session.Dispose();
        session.Dispose();
        using var a = OrtValue.CreateTensor(new float[3], [1, 3]);
        using var b = OrtValue.CreateTensor(new float[3], [1, 3]);
        Assert.Throws<ObjectDisposedException>(() => session.Run([new("a", a), new("b", b)]));
        Assert.Throws<ObjectDisposedException>(() => session.CreateIoBinding());
    }
}
