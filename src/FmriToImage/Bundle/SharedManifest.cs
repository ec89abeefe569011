using System.Text.RegularExpressions;

namespace FmriToImage.Bundle;

/// <summary>
/// The rules of format 2 (<c>fmri_decoder.json</c> of a shared-subject bundle) that the JSON alone decides: subjects,
/// their adapters and standardization, the shared space, the encoders' input, the repetition rule. Each violation is
/// a <see cref="BundleFormatException"/> naming the manifest and the field. What the files hold (shapes, widths) is
/// checked by <see cref="SharedSpaceContract"/> once they are read.
/// </summary>
internal static partial class SharedManifest
{
    /// <summary>The two <c>source</c> values of a subject.</summary>
    public static readonly string[] Sources = ["trained", "adapted"];

    /// <summary>Whether <paramref name="id"/> is a subject id this format allows: "subj" and at least two digits.</summary>
    public static bool IsSubjectId(string id) => SubjectId().IsMatch(id);

    /// <summary>The id a subject number stands for: 5 → "subj05".</summary>
    public static string SubjectId(int number) => $"subj{number:00}";

    /// <summary>Checks a format 2 manifest's fields.</summary>
    /// <exception cref="BundleFormatException">A field is missing, null, out of range, or one format 2 does not have.</exception>
    public static void Check(DecoderManifest manifest, string path)
    {
        if (manifest.Subject is not null || manifest.VoxelCount is not null || manifest.Masks.Nsdgeneral is not null || manifest.Masks.RoiSets.Count > 0)
        {
            var field = manifest.Subject is not null ? "subject" : manifest.VoxelCount is not null ? "voxel_count" : "masks";
            throw new BundleFormatException(path, $"{field} is a format_version 1 field; a format_version 2 manifest states it per subject (subjects.<id>.{field}).");
        }

        CheckRepetitionRule(manifest, path);
        if (manifest.SharedSpace is not { } shared)
        {
            throw new BundleFormatException(path, "shared_space is missing; a format_version 2 manifest states the shared space (width, targets, image_ids) its adapters map into.");
        }

        if (shared.Width <= 0)
        {
            throw new BundleFormatException(path, $"shared_space.width is {shared.Width}; it must be positive.");
        }

        if ((shared.Targets is null) != (shared.ImageIds is null))
        {
            throw new BundleFormatException(path, $"shared_space.{(shared.Targets is null ? "targets" : "image_ids")} is missing; targets and image_ids come together (row m of targets is image image_ids[m]).");
        }

        if (manifest.Subjects.Count == 0)
        {
            throw new BundleFormatException(path, "subjects is empty or missing; a format_version 2 manifest lists at least one subject.");
        }

        foreach (var (id, subject) in manifest.Subjects)
        {
            CheckSubject(id, subject, path);
        }

        foreach (var entry in manifest.VoxelEncoders)
        {
            if (entry.Input != VoxelEncoderInput.SharedSpace)
            {
                throw new BundleFormatException(path, $"voxel encoder '{entry.Name}' has input '{Snake(entry.Input)}'; in format_version 2 every voxel encoder reads the shared space (input \"shared_space\").");
            }

            if (entry.RoiSet is not null)
            {
                throw new BundleFormatException(path, $"voxel encoder '{entry.Name}' names roi_set '{entry.RoiSet}'; ROI-set encoders are format_version 1 only.");
            }

            if (entry.VoxelCount is { } stated && stated != shared.Width)
            {
                throw new BundleFormatException(path, $"voxel encoder '{entry.Name}' states voxel_count {stated}, but it reads the shared space of width {shared.Width} (shared_space.width).");
            }
        }
    }

    /// <summary>Refuses format 2's fields in a format 1 manifest.</summary>
    /// <exception cref="BundleFormatException">A format 2 field is present.</exception>
    public static void RefuseV2Fields(DecoderManifest manifest, string path)
    {
        var field = manifest.Subjects.Count > 0 ? "subjects" : manifest.SharedSpace is not null ? "shared_space" : manifest.RepetitionAveraging is not null ? "repetition_averaging" : null;
        if (field is not null)
        {
            throw new BundleFormatException(path, $"{field} is a format_version 2 field; this manifest says format_version 1.");
        }

        if (manifest.VoxelEncoders.FirstOrDefault(e => e.Input == VoxelEncoderInput.SharedSpace) is { } shared)
        {
            throw new BundleFormatException(path, $"voxel encoder '{shared.Name}' reads the shared space (input \"shared_space\"), which only a format_version 2 manifest has.");
        }
    }

    /// <summary>Checks <c>repetition_averaging</c>: absent, "outputs" or "voxels".</summary>
    /// <exception cref="BundleFormatException">Another value.</exception>
    public static void CheckRepetitionRule(DecoderManifest manifest, string path)
    {
        if (manifest.RepetitionAveraging is not (null or "outputs" or "voxels"))
        {
            throw new BundleFormatException(path, $"repetition_averaging is \"{manifest.RepetitionAveraging}\"; it is \"outputs\" (MindEye2: each repeat through adapter and backbone, outputs averaged) or \"voxels\" (voxels averaged first).");
        }
    }

    /// <summary>Every file a subject entry names, with the field that names it.</summary>
    public static IEnumerable<(string Path, string Field)> Files(string id, SubjectEntry subject)
    {
        var prefix = $"subjects.{id}";
        if (subject.Masks.Nsdgeneral is { } mask)
        {
            yield return (mask, $"{prefix}.masks.nsdgeneral");
        }

        if (subject.Standardization is { } z)
        {
            yield return (z.Mean, $"{prefix}.standardization.mean");
            yield return (z.Std, $"{prefix}.standardization.std");
        }

        if (subject.Adapter.File is { } file)
        {
            yield return (file, $"{prefix}.adapter.file");
        }

        if (subject.Adapter.Weight is { } weight)
        {
            yield return (weight, $"{prefix}.adapter.weight");
        }

        if (subject.Adapter.Bias is { } bias)
        {
            yield return (bias, $"{prefix}.adapter.bias");
        }
    }

    private static void CheckSubject(string id, SubjectEntry? subject, string path)
    {
        if (!IsSubjectId(id))
        {
            throw new BundleFormatException(path, $"subjects has the key \"{id}\"; subject ids are \"subj\" and a two-digit number, e.g. \"subj01\".");
        }

        if (subject is null)
        {
            throw new BundleFormatException(path, $"subjects.{id} is null; a subject object (voxel_count, masks, adapter) is expected.");
        }

        if (subject.VoxelCount <= 0)
        {
            throw new BundleFormatException(path, $"subjects.{id}.voxel_count is {subject.VoxelCount}; it must be positive.");
        }

        if (subject.Masks.RoiSets.Count > 0)
        {
            throw new BundleFormatException(path, $"subjects.{id}.masks.roi_sets: ROI sets are format_version 1 only.");
        }

        var adapter = subject.Adapter;
        var npy = adapter.Weight is not null || adapter.Bias is not null;
        if (npy == (adapter.File is not null))
        {
            throw new BundleFormatException(path, $"subjects.{id}.adapter names {(npy ? "both a graph (file) and a weight/bias" : "nothing")}; it is either \"weight\" + \"bias\" (.npy) or \"file\" (ONNX).");
        }

        if (npy && (adapter.Weight is null || adapter.Bias is null))
        {
            throw new BundleFormatException(path, $"subjects.{id}.adapter.{(adapter.Weight is null ? "weight" : "bias")} is missing; the .npy form is a weight and a bias.");
        }

        if (!Sources.Contains(subject.Source))
        {
            throw new BundleFormatException(path, $"subjects.{id}.source is \"{subject.Source}\"; it is {string.Join(" or ", Sources.Select(s => $"\"{s}\""))}.");
        }
    }

    private static string Snake(VoxelEncoderInput input) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(input.ToString());

    [GeneratedRegex("^subj[0-9]{2,}$")]
    private static partial Regex SubjectId();
}
