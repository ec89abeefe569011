using FmriToImage.Onnx;

namespace FmriToImage.Tests.Onnx;

public sealed class GraphWeightsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmri2img-weights-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_graph_weighs_its_file_plus_its_external_data_under_either_exporter_name()
    {
        var graph = File(Path.Combine(_folder, "model.onnx"), 1000);

        Assert.Equal(1000, GraphWeights.Bytes(graph));
        File(graph + ".data", 20_000);
        Assert.Equal(21_000, GraphWeights.Bytes(graph));
        File(graph + "_data", 300);
        Assert.Equal(21_300, GraphWeights.Bytes(graph));
        Assert.Equal(0, GraphWeights.Bytes(Path.Combine(_folder, "missing.onnx")));
    }

    [Fact]
    public void Small_means_at_most_16_MiB_external_data_included()
    {
        var exact = File(Path.Combine(_folder, "exact.onnx"), GraphWeights.SmallGraphBytes);
        var over = File(Path.Combine(_folder, "over.onnx"), 4096);
        File(over + ".data", GraphWeights.SmallGraphBytes);

        Assert.True(GraphWeights.IsSmall(exact));
        Assert.False(GraphWeights.IsSmall(over));
    }

    /// <summary>A sparse file of <paramref name="length"/> bytes (no disk written).</summary>
    private static string File(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        stream.SetLength(length);
        return path;
    }
}
