using System.Numerics.Tensors;
using FmriToImage.Bundle;
using FmriToImage.Data.Npy;
using FmriToImage.Onnx;

namespace FmriToImage.Models;

/// <summary>
/// One voxel encoder of a bundle: takes trials of the subject's full voxel vector, applies the encoder's ROI set as
/// <c>fmri_decoder.json</c> says (all voxels, only the set's voxels, or the set zero-filled within the vector) and
/// runs the graph.
/// </summary>
/// <remarks>Thread-safe (each call has its own values); the session belongs to the bundle.</remarks>
public sealed class VoxelEncoder
{
    private readonly BundleComponent component;
    private readonly int[]? roiIndices;
    private readonly bool[]? roiKeep;

    private VoxelEncoder(VoxelEncoderComponent encoder, int voxelCount, int[]? roiIndices)
    {
        component = encoder.Component;
        Entry = encoder.Entry;
        VoxelCount = voxelCount;
        this.roiIndices = roiIndices;
        if (roiIndices is not null && Entry.Input == VoxelEncoderInput.RoiZeroFilled)
        {
            roiKeep = new bool[voxelCount];
            foreach (var index in roiIndices)
            {
                roiKeep[index] = true;
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
    public int InputLength => Entry.Input == VoxelEncoderInput.RoiSubset ? roiIndices!.Length : VoxelCount;

    /// <summary>Every voxel encoder of the bundle, in manifest order, with its ROI set loaded.</summary>
    /// <param name="bundle">A bundle with a decoder manifest.</param>
    /// <returns>The encoders.</returns>
    /// <exception cref="BundleContractException">An ROI set file is not a 1-D integer array of valid, distinct voxel indices of the stated size.</exception>
    public static IReadOnlyList<VoxelEncoder> FromBundle(ModelBundle bundle)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        var manifest = bundle.Decoder;
        if (manifest is null)
        {
            return [];
        }

        var sets = new Dictionary<string, int[]>(StringComparer.Ordinal);
        var encoders = new List<VoxelEncoder>();
        foreach (var encoder in bundle.VoxelEncoders)
        {
            int[]? indices = null;
            if (encoder.Entry.Input != VoxelEncoderInput.Nsdgeneral)
            {
                var set = encoder.Entry.RoiSet!;
                if (!sets.TryGetValue(set, out indices))
                {
                    indices = ReadRoiSet(bundle, set, manifest.Masks.RoiSets[set], manifest.VoxelCount);
                    sets[set] = indices;
                }

                if (encoder.Entry.Input == VoxelEncoderInput.RoiSubset && encoder.Entry.VoxelCount != indices.Length)
                {
                    throw new BundleContractException(bundle.RootPath, [$"voxel encoder '{encoder.Entry.Name}' states voxel_count {encoder.Entry.VoxelCount} but ROI set '{set}' ({manifest.Masks.RoiSets[set]}) has {indices.Length} voxels."]);
                }
            }

            encoders.Add(new VoxelEncoder(encoder, manifest.VoxelCount, indices));
        }

        return encoders;
    }

    /// <summary>Runs the encoder on <paramref name="batch"/> trials.</summary>
    /// <param name="voxels">batch × <see cref="VoxelCount"/> floats, one trial after another, in the bundle's voxel order.</param>
    /// <param name="batch">The number of trials.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The prediction for the encoder's role.</returns>
    /// <exception cref="VoxelCountMismatchException">The span is not batch × <see cref="VoxelCount"/> long.</exception>
    public VoxelEncoding Encode(ReadOnlySpan<float> voxels, int batch, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        if (voxels.Length != (long)batch * VoxelCount)
        {
            var splits = voxels.Length % batch == 0;
            throw new VoxelCountMismatchException(
                $"voxel encoder '{Name}' ({component.RelativePath})",
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
                        row[j] = trial[roiIndices![j]];
                    }

                    break;
                case VoxelEncoderInput.RoiZeroFilled:
                    for (var j = 0; j < row.Length; j++)
                    {
                        row[j] = roiKeep![j] ? trial[j] : 0f;
                    }

                    break;
                default:
                    trial.CopyTo(row);
                    break;
            }
        }

        // One run for the whole batch, or one per trial when the export fixes its batch axis at 1; each run's input
        // is an aligned copy, so a trial gives the same bits in every call.
        var session = component.Session;
        string[] names = Entry.Role == VoxelEncoderRole.VaeLatent ? ["latent"]
            : session.Outputs.Any(o => o.Name == "image_embedding") ? ["image_tokens", "image_embedding"] : ["image_tokens"];
        var results = new float[names.Length][];
        var lengths = new nint[names.Length][];
        foreach (var (start, count) in BatchAxis.Slices(batch, BatchAxis.Limit(session.Inputs[0])))
        {
            using var value = AlignedTensor.Copy<float>(input.AsSpan(start * InputLength, count * InputLength), [count, InputLength]);
            using var outputs = session.Run([new(session.Inputs[0].Name, value)], names, cancellationToken: cancellationToken);
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

        var tensors = results.Select((r, o) => Tensor.Create(r, lengths[o])).ToArray();
        return Entry.Role == VoxelEncoderRole.VaeLatent
            ? new VoxelEncoding(tensors[0], null, null)
            : new VoxelEncoding(null, tensors[0], tensors.Length > 1 ? tensors[1] : null);
    }

    /// <inheritdoc />
    public override string ToString() => $"voxel encoder '{Name}' ({Entry.Role}, {InputLength} voxels)";

    private static int[] ReadRoiSet(ModelBundle bundle, string set, string relativePath, int voxelCount)
    {
        using var stream = new MemoryStream(bundle.ReadFile(relativePath), writable: false);
        var values = NpyFile.ReadAsSingle(stream, bundle.ResolvePath(relativePath));
        if (values.Rank != 1)
        {
            throw new BundleContractException(bundle.RootPath, [$"{relativePath}: ROI set '{set}' must be a 1-D array of voxel indices, not rank {values.Rank}."]);
        }

        var indices = new int[values.FlattenedLength];
        var seen = new bool[voxelCount];
        var k = 0;
        foreach (var value in values)
        {
            if (value != Math.Floor(value) || value < 0 || value >= voxelCount || seen[(int)value])
            {
                throw new BundleContractException(bundle.RootPath, [$"{relativePath}: ROI set '{set}' entry {k} is {value}; entries must be distinct whole voxel indices in [0, {voxelCount})."]);
            }

            seen[(int)value] = true;
            indices[k++] = (int)value;
        }

        return indices;
    }
}
