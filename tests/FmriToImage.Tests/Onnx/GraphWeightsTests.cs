using FmriToImage.Onnx;

namespace FmriToImage.Tests.Onnx;

public sealed class GraphWeightsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fmri2img-weights-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void A_graph_weighs_its_file_plus_every_file_beside_it_but_other_graphs()
    {
        var graph = File(Path.Combine(_folder, "model.onnx"), 1000);

        Assert.Equal(1000, GraphWeights.Bytes(graph));
        File(graph + ".data", 20_000);
        Assert.Equal(21_000, GraphWeights.Bytes(graph));
        File(Path.Combine(_folder, "weights.pb"), 300);       // older Stable Diffusion exports
        File(Path.Combine(_folder, "onnx__MatMul_12"), 40);   // torch's one file per tensor
        Assert.Equal(21_340, GraphWeights.Bytes(graph));
        File(Path.Combine(_folder, "other.onnx"), 5_000_000); // another graph of the folder (voxel_encoders/)
        Directory.CreateDirectory(Path.Combine(_folder, "sub"));
        Assert.Equal(21_340, GraphWeights.Bytes(graph));
        Assert.Equal(0, GraphWeights.Bytes(Path.Combine(_folder, "missing.onnx")));
    }

    [Fact]
    public void Small_means_at_most_16_MiB_external_data_included()
    {
        var exact = File(Path.Combine(Directory.CreateDirectory(Path.Combine(_folder, "a")).FullName, "exact.onnx"), GraphWeights.SmallGraphBytes);
        var over = File(Path.Combine(Directory.CreateDirectory(Path.Combine(_folder, "b")).FullName, "over.onnx"), 4096);
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
