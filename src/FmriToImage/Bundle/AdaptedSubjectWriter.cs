using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using FmriToImage.Configuration;
using FmriToImage.Data.Npy;

namespace FmriToImage.Bundle;

/// <summary>
/// Writes a newly adapted subject into a copy of a shared-subject (format 2) bundle: its adapter as .npy weight and
/// bias, its nsdgeneral mask, its standardization statistics, its entry in <c>fmri_decoder.json</c> (source
/// <c>adapted</c> with the fit's facts) and the sha256 of every new file. Atomic: the new bundle is written to a
/// temporary folder beside the destination, opened and verified there, and only then moved into place (replacing the
/// source when writing in place) — a failure at any point leaves the destination as it was.
/// </summary>
internal static class AdaptedSubjectWriter
{
    /// <summary>What is written for the subject.</summary>
    /// <param name="Subject">Its id, e.g. "subj05".</param>
    /// <param name="Weight">W, voxelCount × width float32, row-major.</param>
    /// <param name="Bias">b, width float32.</param>
    /// <param name="VoxelCount">Voxels per trial.</param>
    /// <param name="Mask">The subject's nsdgeneral mask file to copy, or null.</param>
    /// <param name="Mean">Per-voxel mean for z-scoring, or null (with <paramref name="Std"/>).</param>
    /// <param name="Std">Per-voxel standard deviation (each &gt; 0), or null.</param>
    /// <param name="Adaptation">The fit's facts: trials, lambda, cv_score, folds, shared_images.</param>
    public sealed record Entry(string Subject, float[] Weight, float[] Bias, int VoxelCount, string? Mask, float[]? Mean, float[]? Std, JsonObject Adaptation);

    /// <summary>Writes <paramref name="entry"/> into a copy of <paramref name="source"/> at <paramref name="destination"/>.</summary>
    /// <exception cref="ArgumentException">The subject id is malformed or already listed, the destination exists (and is not the source), or a shape disagrees.</exception>
    /// <exception cref="IOException">A file could not be written or moved (the destination is unchanged).</exception>
    public static void Write(ModelBundle source, string destination, Entry entry)
    {
        var manifest = source.Decoder ?? throw new ArgumentException($"bundle '{source.RootPath}' has no {ModelBundle.DecoderManifestFileName}.", nameof(source));
        if (!manifest.IsShared)
        {
            throw new ArgumentException($"bundle '{source.RootPath}' is format_version {manifest.FormatVersion}; a subject can be added only to a shared-subject (format_version 2) bundle.", nameof(source));
        }

        if (!SharedManifest.IsSubjectId(entry.Subject))
        {
            throw new ArgumentException($"subject \"{entry.Subject}\": subject ids are \"subj\" and a two-digit number, e.g. \"subj05\".", nameof(entry));
        }

        if (manifest.Subjects.ContainsKey(entry.Subject))
        {
            throw new ArgumentException($"bundle '{source.RootPath}' already lists {entry.Subject}; adapting writes a subject the bundle does not have.", nameof(entry));
        }

        var width = manifest.SharedSpace!.Width;
        if (entry.Weight.Length != (long)entry.VoxelCount * width || entry.Bias.Length != width
            || (entry.Mean is null) != (entry.Std is null) || (entry.Mean is not null && (entry.Mean.Length != entry.VoxelCount || entry.Std!.Length != entry.VoxelCount)))
        {
            throw new ArgumentException($"the adapter of {entry.Subject} must be W [{entry.VoxelCount}, {width}], b [{width}] and, when given, mean and std [{entry.VoxelCount}] each.", nameof(entry));
        }

        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(destination));
        var inPlace = string.Equals(target, source.RootPath, StringComparison.Ordinal);
        if (!inPlace && Path.Exists(target))
        {
            throw new ArgumentException($"'{target}' exists; the adapted bundle is written to a new folder (or in place over its source).", nameof(destination));
        }

        var parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        var temporary = Path.Combine(parent, $".{Path.GetFileName(target)}.adapt-{Guid.NewGuid():N}");
        try
        {
            CopyFolder(source.RootPath, temporary);
            var files = WriteSubjectFiles(temporary, entry, width);
            RewriteManifest(temporary, entry, files);

            // The written bundle must open with every checksum verified before it replaces anything.
            using (ModelBundle.Open(temporary, new ModelBundleOptions { OpenSessionsEagerly = false }))
            {
            }

            if (inPlace)
            {
                var old = Path.Combine(parent, $".{Path.GetFileName(target)}.old-{Guid.NewGuid():N}");
                Directory.Move(target, old);
                try
                {
                    Directory.Move(temporary, target);
                }
                catch
                {
                    // The new bundle could not take the old one's place: put the old one back, unchanged.
                    Directory.Move(old, target);
                    throw;
                }

                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temporary, target);
            }
        }
        finally
        {
            if (Directory.Exists(temporary))
            {
                Directory.Delete(temporary, recursive: true);
            }
        }
    }

    /// <summary>Writes the subject's files under <c>subjects/&lt;id&gt;/</c>; returns their bundle-relative paths by manifest role.</summary>
    private static Dictionary<string, string> WriteSubjectFiles(string root, Entry entry, int width)
    {
        var folder = $"subjects/{entry.Subject}";
        Directory.CreateDirectory(Path.Combine(root, folder));
        var files = new Dictionary<string, string>
        {
            ["weight"] = $"{folder}/adapter_weight.npy",
            ["bias"] = $"{folder}/adapter_bias.npy",
        };
        NpyFile.Write<float>(Path.Combine(root, files["weight"]), entry.Weight, [entry.VoxelCount, width]);
        NpyFile.Write<float>(Path.Combine(root, files["bias"]), entry.Bias, [width]);
        if (entry.Mean is not null)
        {
            files["mean"] = $"{folder}/voxel_mean.npy";
            files["std"] = $"{folder}/voxel_std.npy";
            NpyFile.Write<float>(Path.Combine(root, files["mean"]), entry.Mean, [entry.VoxelCount]);
            NpyFile.Write<float>(Path.Combine(root, files["std"]), entry.Std!, [entry.VoxelCount]);
        }

        if (entry.Mask is not null)
        {
            var name = Path.GetFileName(entry.Mask).EndsWith(".nii.gz", StringComparison.OrdinalIgnoreCase) ? "nsdgeneral.nii.gz" : "nsdgeneral.nii";
            files["mask"] = $"{folder}/{name}";
            File.Copy(entry.Mask, Path.Combine(root, files["mask"]));
        }

        return files;
    }

    private static void RewriteManifest(string root, Entry entry, Dictionary<string, string> files)
    {
        var path = Path.Combine(root, ModelBundle.DecoderManifestFileName);
        // Read as Load reads it (bounded, UTF-8 checked, comments allowed, of a key written twice the last one counts).
        var manifest = ConfigJson.ToNode(BundleJson.ParseObject(BundleFiles.ReadSmall(path), path))!.AsObject();
        var subject = new JsonObject
        {
            ["voxel_count"] = entry.VoxelCount,
            ["adapter"] = new JsonObject { ["weight"] = files["weight"], ["bias"] = files["bias"] },
            ["source"] = "adapted",
            ["adaptation"] = entry.Adaptation.DeepClone(),
        };
        if (files.TryGetValue("mask", out var mask))
        {
            subject["masks"] = new JsonObject { ["nsdgeneral"] = mask };
        }

        if (files.TryGetValue("mean", out var mean))
        {
            subject["standardization"] = new JsonObject { ["mean"] = mean, ["std"] = files["std"] };
        }

        manifest["subjects"]!.AsObject()[entry.Subject] = subject;
        var hashes = manifest["files"]!.AsObject();
        foreach (var relative in files.Values)
        {
            using var stream = File.OpenRead(Path.Combine(root, relative));
            hashes[relative] = Convert.ToHexStringLower(SHA256.HashData(stream));
        }

        manifest["files"] = new JsonObject(hashes.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => KeyValuePair.Create(h.Key, h.Value?.DeepClone())));
        File.WriteAllText(path, manifest.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var folder in Directory.GetDirectories(from))
        {
            CopyFolder(folder, Path.Combine(to, Path.GetFileName(folder)));
        }
    }
}
