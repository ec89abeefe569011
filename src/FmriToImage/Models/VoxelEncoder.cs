using FmriToImage.Bundle;
using FmriToImage.Onnx;

namespace FmriToImage.Models;

/// <summary>
/// One voxel encoder of a bundle: takes trials of the subject's full voxel vector, applies the encoder's ROI set as
/// <c>fmri_decoder.json</c> says (all voxels, only the set's voxels, or the set zero-filled within the vector) and
/// runs the graph.
/// </summary>
/// <remarks>Thread-safe (each call has its own values); the session belongs to the bundle.</remarks>
internal sealed class VoxelEncoder
{
    private readonly GraphSession _session;
    private readonly int[]? _roiIndices;
    private readonly bool[]? _roiKeep;

    /// <summary>Wraps a voxel encoder session with its manifest entry and ROI set.</summary>
    /// <param name="entry">What <c>fmri_decoder.json</c> says about the encoder.</param>
    /// <param name="session">Its session (not owned).</param>
    /// <param name="voxelCount">The subject's full voxel vector length.</param>
    /// <param name="roiIndices">The ROI set's voxel indices (checked by the caller), or null for an encoder that reads every voxel.</param>
    internal VoxelEncoder(VoxelEncoderEntry entry, GraphSession session, int voxelCount, int[]? roiIndices)
    {
        _session = session ?? throw new ArgumentNullException(nameof(session));
        Entry = entry ?? throw new ArgumentNullException(nameof(entry));
        VoxelCount = voxelCount;
        _roiIndices = roiIndices;
        if (roiIndices is not null && Entry.Input == VoxelEncoderInput.RoiZeroFilled)
        {
            _roiKeep = new bool[voxelCount];
            foreach (var index in roiIndices)
            {
                _roiKeep[index] = true;
            }
        }
    }

    /// <summary>The manifest entry: name, role, input kind, ROI set.</summary>
    public VoxelEncoderEntry Entry { get; }

    /// <summary>The encoder's name.</summary>
    public string Name => Entry.Name;

    /// <summary>Voxels per trial the caller passes: the subject's full vector length.</summary>
    public int VoxelCount { get; }

    /// <summary>Voxels per trial the graph reads (the ROI set's size for a subset encoder).</summary>
    public int InputLength => Entry.Input == VoxelEncoderInput.RoiSubset ? _roiIndices!.Length : VoxelCount;

    /// <summary>Runs the encoder on <paramref name="batch"/> trials.</summary>
    /// <param name="voxels">batch × <see cref="VoxelCount"/> floats, one trial after another, in the bundle's voxel order.</param>
    /// <param name="batch">The number of trials.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The prediction for the encoder's role.</returns>
    /// <exception cref="VoxelCountMismatchException">The span is not batch × <see cref="VoxelCount"/> long.</exception>
    public VoxelEncoding Encode(ReadOnlySpan<float> voxels, int batch, CancellationToken cancellationToken = default) =>
        Encode(voxels, batch, 1, cancellationToken);

    /// <summary>
    /// Runs the encoder on <paramref name="batch"/> trials of <paramref name="repeats"/> rows each and averages each
    /// trial's outputs over its rows (MindEye2's rule: repeats run separately, outputs averaged).
    /// </summary>
    /// <param name="voxels">batch × repeats × <see cref="VoxelCount"/> floats: trial 0's repeats, then trial 1's, ….</param>
    /// <param name="batch">The number of trials.</param>
    /// <param name="repeats">Rows per trial (1: no averaging).</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The prediction for the encoder's role, one per trial.</returns>
    /// <exception cref="VoxelCountMismatchException">The span is not batch × repeats × <see cref="VoxelCount"/> long.</exception>
    public VoxelEncoding Encode(ReadOnlySpan<float> voxels, int batch, int repeats, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        var encoded = EncodeRows(voxels, checked(batch * repeats), cancellationToken);
        return repeats == 1 ? encoded : new VoxelEncoding(Average(encoded.Latent, repeats), Average(encoded.ImageTokens, repeats), Average(encoded.ImageEmbedding, repeats))
        {
            ConditioningTokens = Average(encoded.ConditioningTokens, repeats),
            TimeEmbeddingTerm = Average(encoded.TimeEmbeddingTerm, repeats),
        };
    }

    /// <summary>Each group of <paramref name="repeats"/> consecutive rows of <paramref name="rows"/> replaced by their mean.</summary>
    private static ShapedValues? Average(ShapedValues? rows, int repeats)
    {
        if (rows is null)
        {
            return null;
        }

        var lengths = rows.Lengths.ToArray();
        var perRow = rows.FlattenedLength / (int)lengths[0];
        lengths[0] /= repeats;
        var means = new float[lengths[0] * perRow];
        for (var t = 0; t < lengths[0]; t++)
        {
            var mean = means.AsSpan(t * perRow, perRow);
            for (var r = 0; r < repeats; r++)
            {
                System.Numerics.Tensors.TensorPrimitives.Add(mean, rows.Span.Slice(((t * repeats) + r) * perRow, perRow), mean);
            }

            System.Numerics.Tensors.TensorPrimitives.Divide(mean, repeats, mean);
        }

        return new ShapedValues(means, lengths);
    }

    private VoxelEncoding EncodeRows(ReadOnlySpan<float> voxels, int batch, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        if (voxels.Length != (long)batch * VoxelCount)
        {
            var splits = voxels.Length % batch == 0;
            throw new VoxelCountMismatchException(
                $"voxel encoder '{Name}' ({Entry.File})",
                VoxelCount,
                splits ? voxels.Length / batch : voxels.Length,
                splits ? $"{batch} trials in {voxels.Length} floats" : $"{voxels.Length} floats do not split into {batch} trials");
        }

        var input = new float[batch * InputLength];
        for (var b = 0; b < batch; b++)
        {
            var trial = voxels.Slice(b * VoxelCount, VoxelCount);
            var row = input.AsSpan(b * InputLength, InputLength);
            switch (Entry.Input)
            {
                case VoxelEncoderInput.RoiSubset:
                    for (var j = 0; j < row.Length; j++)
                    {
                        row[j] = trial[_roiIndices![j]];
                    }

                    break;
                case VoxelEncoderInput.RoiZeroFilled:
                    for (var j = 0; j < row.Length; j++)
                    {
                        row[j] = _roiKeep![j] ? trial[j] : 0f;
                    }

                    break;
                default:
                    trial.CopyTo(row);
                    break;
            }
        }

        // One run for the whole batch, or one per trial when the export fixes its batch axis at 1; each run's input
        // is an aligned copy, so a trial gives the same bits in every call.
        string[] names = Entry.Role switch
        {
            VoxelEncoderRole.VaeLatent => ["latent"],
            VoxelEncoderRole.ConditioningTokens => ["conditioning_tokens", .. new[] { "image_embedding", BundleContractChecker.TimeEmbeddingTerm }.Where(n => _session.Outputs.Any(o => o.Name == n))],
            _ => _session.Outputs.Any(o => o.Name == "image_embedding") ? ["image_tokens", "image_embedding"] : ["image_tokens"],
        };
        var results = new float[names.Length][];
        var lengths = new nint[names.Length][];
        foreach (var (start, count) in BatchAxis.Slices(batch, BatchAxis.Limit(_session.Inputs[0])))
        {
            using var value = AlignedTensor.Copy<float>(input.AsSpan(start * InputLength, count * InputLength), [count, InputLength]);
            using var outputs = _session.Run([new(_session.Inputs[0].Name, value)], names, cancellationToken: cancellationToken);
            for (var o = 0; o < names.Length; o++)
            {
                var data = outputs[o].GetTensorMutableDataAsSpan<float>();
                var perTrial = data.Length / count;
                if (results[o] is null)
                {
                    results[o] = new float[batch * perTrial];
                    lengths[o] = outputs[o].GetShape().Select(d => (nint)d).ToArray();
                    lengths[o][0] = batch;
                }

                data.CopyTo(results[o].AsSpan(start * perTrial));
            }
        }

        var tensors = results.Select((r, o) => new ShapedValues(r, lengths[o])).ToArray();
        ShapedValues? Named(string name) => Array.IndexOf(names, name) is var i and >= 0 ? tensors[i] : null;
        return Entry.Role switch
        {
            VoxelEncoderRole.VaeLatent => new VoxelEncoding(tensors[0], null, null),
            VoxelEncoderRole.ConditioningTokens => new VoxelEncoding(null, null, Named("image_embedding"))
            {
                ConditioningTokens = tensors[0],
                TimeEmbeddingTerm = Named(BundleContractChecker.TimeEmbeddingTerm),
            },
            _ => new VoxelEncoding(null, tensors[0], tensors.Length > 1 ? tensors[1] : null),
        };
    }

    /// <inheritdoc />
    public override string ToString() => $"voxel encoder '{Name}' ({Entry.Role}, {InputLength} voxels)";

}
