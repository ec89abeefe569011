using System.Security.Cryptography;
using System.Text.Json.Nodes;
using FmriToImage.Adaptation;
using FmriToImage.Data;
using FmriToImage.Data.Npy;
using FmriToImage.Pipelines;

namespace FmriToImage.Tests.Bundle;

/// <summary>
/// A new subject added to the shared fixture bundle (tests/fixtures/make_shared_bundle.py) from a synthetic session whose
/// true map is known: its 25 voxels are the shared-space targets of the images it saw through a random full-rank 8 → 25
/// map plus a little noise, so a linear adapter that recovers the targets exists.
/// </summary>
public sealed class AdaptedSubjectTests
{
    private const int Voxels = 25;

    [Fact]
    public void An_adapted_subject_is_written_verified_and_decodes_its_images()
    {
        using var source = new TempBundle(TestFiles.Fixture("bundle", "shared"));
        var output = source.Root + "-adapted";
        try
        {
            float[] weights;
            float[] x, targets;
            long[] seen;
            using (var decoder = BrainDecoder.Load(source.Root))
            {
                Assert.Equal(12, decoder.SharedImageIds.Count);
                Assert.Equal(8, decoder.SharedSpaceWidth);
                (x, seen) = Session(decoder, 60);
                targets = decoder.SharedSpaceTargets(seen);
                var (z, mean, std) = Standardize(x, 60);
                var fit = SubjectAdapter.Fit(new VoxelMatrix(z, 60, Voxels), targets, 8, new SubjectAdapterOptions { Lambdas = [1e-3, 1e-2, 1e-1, 1, 10], MaxDegreeOfParallelism = 1 });
                weights = fit.Weights.ToArray();
                decoder.AddAdaptedSubject("subj05", fit, output, TestFiles.Fixture("bundle", "shared", "subjects", "subj01", "nsdgeneral.nii"), mean, std, trials: 60, sharedImages: 12);
                Assert.Throws<ArgumentException>(() => decoder.AddAdaptedSubject("subj06", fit, output));
                Assert.Contains("subj01", Assert.Throws<ArgumentException>(() => decoder.AddAdaptedSubject("subj01", fit, output + "-again")).Message);
                Assert.Throws<ArgumentException>(() => decoder.SharedSpaceTargets([4]));
            }

            // Nothing is left beside the output, the files round-trip, and every checksum holds.
            Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(output)!, $".{Path.GetFileName(output)}.*"));
            Assert.Equal(weights, NpyFile.Read<float>(Path.Combine(output, "subjects", "subj05", "adapter_weight.npy")).ToArray());
            var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "fmri_decoder.json")))!;
            var entry = manifest["subjects"]!["subj05"]!;
            Assert.Equal("adapted", entry["source"]!.GetValue<string>());
            Assert.Equal(60, entry["adaptation"]!["trials"]!.GetValue<int>());
            Assert.Equal(Voxels, entry["voxel_count"]!.GetValue<int>());
            foreach (var (file, hash) in manifest["files"]!.AsObject())
            {
                Assert.Equal(hash!.GetValue<string>(), Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(output, file)))));
            }

            using var adapted = BrainDecoder.Load(output);
            Assert.Equal(["subj01", "subj02", "subj03", "subj05"], adapted.Subjects);
            var mapping = ModelLoader.SubjectMappings(adapted.Bundle)["subj05"];
            var shared = new float[60 * 8];
            mapping.Map(x, 60, shared);
            var error = shared.Zip(targets, (a, b) => Math.Abs(a - b)).Max();
            Assert.True(error < 0.05, $"largest error of the adapted map {error}");

            var result = adapted.Reconstruct(x.AsSpan(0, Voxels), new ReconstructionRequest { Pipeline = ReconstructionPipeline.Unclip, Subject = "subj05", Steps = 4, Samples = 1 });
            Assert.Equal("subj05", result.Request.Subject);
        }
        finally
        {
            if (Directory.Exists(output))
            {
                Directory.Delete(output, recursive: true);
            }
        }
    }

    [Fact]
    public void Writing_in_place_replaces_the_bundle_whole()
    {
        using var source = new TempBundle(TestFiles.Fixture("bundle", "shared"));
        using (var decoder = BrainDecoder.Load(source.Root))
        {
            var (x, seen) = Session(decoder, 40);
            var fit = SubjectAdapter.Fit(new VoxelMatrix(x, 40, Voxels), decoder.SharedSpaceTargets(seen), 8, new SubjectAdapterOptions { Lambdas = [0.1, 1], MaxDegreeOfParallelism = 1 });
            decoder.AddAdaptedSubject("subj07", fit, source.Root);
        }

        using var reopened = BrainDecoder.Load(source.Root);
        Assert.Contains("subj07", reopened.Subjects);
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(source.Root)!, $".{Path.GetFileName(source.Root)}.*"));
    }

    /// <summary>n trials cycling over the shared images: voxels = target · P + noise (P 8 × 25, fixed seed).</summary>
    private static (float[] Voxels, long[] Seen) Session(BrainDecoder decoder, int n)
    {
        var random = new Random(5);
        var projection = Enumerable.Range(0, 8 * Voxels).Select(_ => (float)((random.NextDouble() * 2) - 1)).ToArray();
        var seen = Enumerable.Range(0, n).Select(i => decoder.SharedImageIds[i % decoder.SharedImageIds.Count]).ToArray();
        var targets = decoder.SharedSpaceTargets(seen);
        var x = new float[n * Voxels];
        for (var t = 0; t < n; t++)
        {
            for (var v = 0; v < Voxels; v++)
            {
                var sum = 0.01 * ((random.NextDouble() * 2) - 1);
                for (var h = 0; h < 8; h++)
                {
                    sum += targets[(t * 8) + h] * projection[(h * Voxels) + v];
                }

                x[(t * Voxels) + v] = (float)sum;
            }
        }

        return (x, seen);
    }

    private static (float[] Z, float[] Mean, float[] Std) Standardize(float[] x, int n)
    {
        var mean = new float[Voxels];
        var std = new float[Voxels];
        var z = new float[x.Length];
        for (var v = 0; v < Voxels; v++)
        {
            var column = Enumerable.Range(0, n).Select(t => (double)x[(t * Voxels) + v]).ToArray();
            var m = column.Average();
            mean[v] = (float)m;
            std[v] = (float)Math.Sqrt(column.Select(c => (c - m) * (c - m)).Average());
            for (var t = 0; t < n; t++)
            {
                z[(t * Voxels) + v] = (x[(t * Voxels) + v] - mean[v]) / std[v];
            }
        }

        return (z, mean, std);
    }
}
