using System.Numerics.Tensors;
using FmriToImage.Data;
using FmriToImage.Data.Npy;

namespace FmriToImage.Bundle;

/// <summary>
/// Reads the arrays of a format 2 bundle (adapter weight and bias, standardization, shared-space targets and image
/// ids) and checks what they hold against the manifest: element type, shape (weight [voxel_count, H], bias [H],
/// mean/std [voxel_count], targets [M, H], image_ids [M]), finite values, std &gt; 0, distinct non-negative ids. A file
/// that is not a <c>.npy</c> ends in <see cref="BundleFormatException"/> naming the file and the manifest field; a
/// contract problem is added to the caller's list (for one <see cref="BundleContractException"/>).
/// </summary>
/// <remarks>
/// Adapter weights can be far larger than a config (15,724 × 4,096 floats is 258 MB), so they are read from the file
/// itself, not through <see cref="ModelBundle.ReadFile"/>; their sha256 was verified when the bundle was opened.
/// </remarks>
internal static class SharedSpaceContract
{
    /// <summary>A float32 array of exactly <paramref name="shape"/>, finite, or null (a problem added).</summary>
    /// <exception cref="BundleFormatException">The file is not a readable <c>.npy</c>.</exception>
    public static float[]? ReadFloats(ModelBundle bundle, string relative, string field, long[] shape, List<string> problems)
    {
        var tensor = Read(bundle, relative, field, path => NpyFile.Read<float>(path), ElementKind.Float32, problems);
        if (tensor is null || !ShapeIs(tensor.Lengths, shape, relative, field, problems))
        {
            return null;
        }

        var values = tensor.ToArray();
        if (!TensorPrimitives.IsFiniteAll<float>(values))
        {
            problems.Add($"{relative} ({field}): value {Array.FindIndex(values, v => !float.IsFinite(v))} is not finite.");
            return null;
        }

        return values;
    }

    /// <summary>The shared space's image ids: int64 [M], distinct and ≥ 0, or null (a problem added).</summary>
    /// <exception cref="BundleFormatException">The file is not a readable <c>.npy</c>.</exception>
    public static long[]? ReadImageIds(ModelBundle bundle, string relative, string field, long rows, List<string> problems)
    {
        var tensor = Read(bundle, relative, field, path => NpyFile.Read<long>(path), ElementKind.Int64, problems);
        if (tensor is null || !ShapeIs(tensor.Lengths, [rows], relative, field, problems))
        {
            return null;
        }

        var ids = tensor.ToArray();
        var seen = new HashSet<long>();
        for (var i = 0; i < ids.Length; i++)
        {
            if (ids[i] < 0 || !seen.Add(ids[i]))
            {
                problems.Add($"{relative} ({field}): entry {i} is {ids[i]}; image ids are distinct and ≥ 0.");
                return null;
            }
        }

        return ids;
    }

    /// <summary>The targets' row count M (their first axis), read from the header, or null (a problem added).</summary>
    /// <exception cref="BundleFormatException">The file is not a readable <c>.npy</c>.</exception>
    public static long? RowCount(ModelBundle bundle, string relative, string field, List<string> problems)
    {
        var path = bundle.ResolvePath(relative);
        try
        {
            var header = NpyFile.ReadHeader(path);
            if (header.Shape.Length != 2)
            {
                problems.Add($"{relative} ({field}): shape ({string.Join(", ", header.Shape)}); [M, shared_space.width] is expected.");
                return null;
            }

            return header.Shape[0];
        }
        catch (Exception e) when (e is MalformedFileException or IOException or UnauthorizedAccessException)
        {
            throw new BundleFormatException(path, $"{field}: not a readable .npy file: {e.Message}", e);
        }
    }

    private static Tensor<T>? Read<T>(ModelBundle bundle, string relative, string field, Func<string, Tensor<T>> read, ElementKind kind, List<string> problems)
    {
        var path = bundle.ResolvePath(relative);
        try
        {
            var header = NpyFile.ReadHeader(path);
            if (header.DataType != kind)
            {
                problems.Add($"{relative} ({field}): element type {header.DataType}; {kind} is expected.");
                return null;
            }

            return read(path);
        }
        catch (Exception e) when (e is MalformedFileException or IOException or UnauthorizedAccessException)
        {
            throw new BundleFormatException(path, $"{field}: not a readable .npy file: {e.Message}", e);
        }
    }

    private static bool ShapeIs(ReadOnlySpan<nint> actual, long[] expected, string relative, string field, List<string> problems)
    {
        var same = actual.Length == expected.Length;
        for (var i = 0; same && i < expected.Length; i++)
        {
            same = actual[i] == expected[i];
        }

        if (!same)
        {
            problems.Add($"{relative} ({field}): shape ({string.Join(", ", actual.ToArray())}); ({string.Join(", ", expected)}) is expected.");
        }

        return same;
    }
}
