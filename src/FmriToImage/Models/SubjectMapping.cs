using FmriToImage.Onnx;

namespace FmriToImage.Models;

/// <summary>
/// One subject of a shared-subject bundle: its voxels → (optional) z-scoring with its training statistics → its
/// adapter into the shared space, either a linear map the library applies itself (y = z·W + b, with
/// <see cref="System.Numerics.Tensors.TensorPrimitives"/>, allocation-free per batch) or the subject's ONNX graph.
/// </summary>
/// <remarks>Thread-safe (each call writes only its destination); the session belongs to the bundle.</remarks>
internal sealed class SubjectMapping
{
    private readonly float[]? _mean;
    private readonly float[]? _std;
    private readonly float[]? _weight;
    private readonly float[]? _bias;
    private readonly GraphSession? _session;

    private SubjectMapping(string id, int voxelCount, int width, float[]? mean, float[]? std, float[]? weight, float[]? bias, GraphSession? session)
    {
        Id = id;
        VoxelCount = voxelCount;
        Width = width;
        _mean = mean;
        _std = std;
        _weight = weight;
        _bias = bias;
        _session = session;
    }

    /// <summary>The subject id, e.g. "subj01".</summary>
    public string Id { get; }

    /// <summary>Voxels per trial.</summary>
    public int VoxelCount { get; }

    /// <summary>H, the shared space's width.</summary>
    public int Width { get; }

    /// <summary>The per-voxel training mean the subject's voxels are standardized with, or empty when they are fed as they are.</summary>
    public ReadOnlySpan<float> TrainingMean => _mean;

    /// <summary>A linear adapter: <paramref name="weight"/> [voxelCount, width] row-major and <paramref name="bias"/> [width] (checked by the caller).</summary>
    public static SubjectMapping Linear(string id, int voxelCount, int width, float[]? mean, float[]? std, float[] weight, float[] bias) =>
        new(id, voxelCount, width, mean, std, weight, bias, null);

    /// <summary>An ONNX adapter: <paramref name="session"/> takes [batch, voxelCount] and gives [batch, width] (checked by the bundle).</summary>
    public static SubjectMapping Graph(string id, int voxelCount, int width, float[]? mean, float[]? std, GraphSession session) =>
        new(id, voxelCount, width, mean, std, null, null, session);

    /// <summary>Maps <paramref name="count"/> trials into the shared space.</summary>
    /// <param name="voxels">count × <see cref="VoxelCount"/> values (checked by the caller).</param>
    /// <param name="count">The number of trials.</param>
    /// <param name="shared">count × <see cref="Width"/> values, written.</param>
    /// <param name="cancellationToken">Cancels a graph run.</param>
    public void Map(ReadOnlySpan<float> voxels, int count, Span<float> shared, CancellationToken cancellationToken = default)
    {
        if (voxels.Length != (long)count * VoxelCount || shared.Length != (long)count * Width)
        {
            throw new ArgumentException($"{count} trials of subject {Id} are {count * VoxelCount} voxels → {count * Width} shared values; got {voxels.Length} → {shared.Length}.");
        }

        if (_session is null)
        {
            for (var t = 0; t < count; t++)
            {
                MapLinear(voxels.Slice(t * VoxelCount, VoxelCount), shared.Slice(t * Width, Width));
            }

            return;
        }

        var input = voxels.ToArray();
        if (_mean is not null)
        {
            for (var t = 0; t < count; t++)
            {
                Standardize(input.AsSpan(t * VoxelCount, VoxelCount));
            }
        }

        foreach (var (start, rows) in BatchAxis.Slices(count, BatchAxis.Limit(_session.Inputs[0])))
        {
            using var value = AlignedTensor.Copy<float>(input.AsSpan(start * VoxelCount, rows * VoxelCount), [rows, VoxelCount]);
            using var outputs = _session.Run([new(_session.Inputs[0].Name, value)], [_session.Outputs[0].Name], cancellationToken: cancellationToken);
            ShapedValues.From(outputs[0], _session.ModelName, _session.Outputs[0].Name).FlattenTo(shared.Slice(start * Width, rows * Width));
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"subject {Id} ({VoxelCount} voxels → {Width}, {(_session is null ? "linear" : "graph")} adapter)";

    /// <summary>y = z·W + b with z = (x − mean) / std: one multiply-add of a weight row per voxel, nothing allocated.</summary>
    private void MapLinear(ReadOnlySpan<float> x, Span<float> y)
    {
        var weight = _weight!;
        _bias.AsSpan().CopyTo(y);
        for (var v = 0; v < x.Length; v++)
        {
            var z = _mean is null ? x[v] : (x[v] - _mean[v]) / _std![v];
            if (z != 0f)
            {
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(weight.AsSpan(v * Width, Width), z, y, y);
            }
        }
    }

    private void Standardize(Span<float> row)
    {
        for (var v = 0; v < row.Length; v++)
        {
            row[v] = (row[v] - _mean![v]) / _std![v];
        }
    }
}
