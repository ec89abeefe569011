using System.Diagnostics;
using FmriToImage.Bundle;
using FmriToImage.Data.Npy;
using FmriToImage.Pipelines;
using Xunit.Abstractions;

namespace FmriToImage.Tests.Bundle;

/// <summary>
/// Issue 19's acceptance at full size: the random-weight MindEye2 voxel side that models/export/mindeye2.py writes
/// (subj01's 15,724 voxels → 4096 ridge adapter; the 1.9-billion-parameter backbone, 7.6 GB of external weights) loads
/// through <see cref="BrainDecoder.Load"/> and its one forward pass matches PyTorch's: the script's own independent
/// PyTorch forward of the same weights is saved as verify_*.npy beside the bundle (models/export/mindeye2.py, verify).
/// Runs only where <c>FMRI2IMG_MINDEYE2_BUNDLE</c> names that bundle (7.9 GB, never committed; docs/real-models.md).
/// </summary>
public sealed class MindEye2FullSizeTests(ITestOutputHelper output)
{
    /// <summary>max |C# − PyTorch| / max |PyTorch| per output: float32 sums over 4096 and 8192 terms, in another order.</summary>
    private const double Tolerance = 1e-4;

    [MindEye2BundleFact]
    public void The_full_size_backbone_loads_and_matches_pytorch_on_one_forward_pass()
    {
        var path = MindEye2BundleFactAttribute.BundlePath!;
        var clock = Stopwatch.StartNew();

        // Checksums off: hashing 7.9 GB would dominate the load; finish_bundle wrote the hashes, Load checks every
        // listed file exists and every file is listed.
        using var decoder = BrainDecoder.Load(path, new BrainDecoderOptions { VerifyChecksums = false });
        var load = clock.Elapsed;
        var loadPeak = PeakResidentGiB();
        Assert.Equal(["subj01"], decoder.Subjects);
        Assert.Equal(15724, decoder.VoxelCountOf("subj01"));

        var shared = NpyFile.Read<float>(Path.Combine(path, "verify_shared.npy"));
        Assert.Equal([2L, 4096L], shared.Lengths.ToArray().Select(d => (long)d));
        var encoders = ModelLoader.VoxelEncoders(decoder.Bundle);
        var high = encoders.Single(e => e.Entry.Role == VoxelEncoderRole.ImageTokens);
        var low = encoders.Single(e => e.Entry.Role == VoxelEncoderRole.VaeLatent);

        clock.Restart();
        var tokens = high.Encode(shared.ToArray(), 2);
        var forward = clock.Elapsed;
        var latent = low.Encode(shared.ToArray(), 2);

        var tokensError = RelativeError(path, "image_tokens", [2, 256, 1664], tokens.ImageTokens!.Span);
        var embeddingError = RelativeError(path, "image_embedding", [2, 256 * 1664], tokens.ImageEmbedding!.Span);
        var latentError = RelativeError(path, "latent", [2, 4, 28, 28], latent.Latent!.Span);

        // The public path: subj01's voxels through its adapter (y = x·W + b, here in float64 from the .npy files) and
        // the backbone give the same retrieval embedding as the backbone on that float64 shared vector.
        var voxels = Enumerable.Range(0, 15724).Select(i => (float)Math.Sin(0.37 * i)).ToArray();
        var mapped = AdapterInFloat64(path, voxels);
        var viaBackbone = high.Encode(mapped, 1).ImageEmbedding!.Span.ToArray();
        var viaPublic = decoder.EmbedBrain(voxels);
        var adapterError = MaxAbsDifference(viaBackbone, viaPublic) / MaxAbs(viaBackbone);

        output.WriteLine($"load {load.TotalSeconds:F1} s; one forward pass of 2 inputs (tokens + embedding) {forward.TotalSeconds:F2} s; "
            + $"peak RSS {loadPeak:F2} GiB after load, {PeakResidentGiB():F2} GiB at the end");
        output.WriteLine($"max |C# − PyTorch| / max |PyTorch|: image_tokens {tokensError:E2}, image_embedding {embeddingError:E2}, latent {latentError:E2}; "
            + $"EmbedBrain vs float64 adapter + backbone {adapterError:E2}");
        Assert.True(tokensError < Tolerance, $"image_tokens: {tokensError}");
        Assert.True(embeddingError < Tolerance, $"image_embedding: {embeddingError}");
        Assert.True(latentError < Tolerance, $"latent: {latentError}");
        Assert.True(adapterError < Tolerance, $"EmbedBrain: {adapterError}");
    }

    private static double RelativeError(string path, string name, long[] shape, ReadOnlySpan<float> actual)
    {
        var reference = NpyFile.Read<float>(Path.Combine(path, $"verify_{name}.npy"));
        Assert.Equal(shape, reference.Lengths.ToArray().Select(d => (long)d));
        var expected = reference.ToArray();
        return MaxAbsDifference(expected, actual) / MaxAbs(expected);
    }

    private static float[] AdapterInFloat64(string path, float[] voxels)
    {
        var weight = NpyFile.Read<float>(Path.Combine(path, "subjects", "subj01", "adapter_weight.npy")).ToArray();
        var bias = NpyFile.Read<float>(Path.Combine(path, "subjects", "subj01", "adapter_bias.npy")).ToArray();
        var width = bias.Length;
        var sums = bias.Select(b => (double)b).ToArray();
        for (var v = 0; v < voxels.Length; v++)
        {
            for (var h = 0; h < width; h++)
            {
                sums[h] += (double)voxels[v] * weight[(v * width) + h];
            }
        }

        return sums.Select(s => (float)s).ToArray();
    }

    private static double MaxAbsDifference(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        var max = 0.0;
        for (var i = 0; i < expected.Length; i++)
        {
            max = Math.Max(max, Math.Abs((double)expected[i] - actual[i]));
        }

        return max;
    }

    private static double MaxAbs(ReadOnlySpan<float> values)
    {
        var max = 0.0;
        foreach (var v in values)
        {
            max = Math.Max(max, Math.Abs(v));
        }

        return max;
    }

    /// <summary>VmHWM of /proc/self/status (Linux), in GiB; NaN elsewhere.</summary>
    private static double PeakResidentGiB()
    {
        const string Status = "/proc/self/status";
        var line = File.Exists(Status) ? File.ReadLines(Status).FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal)) : null;
        return line is null ? double.NaN : long.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / (1024.0 * 1024.0);
    }
}
