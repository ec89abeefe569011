using FmriToImage.Bundle;
using FmriToImage.Pipelines;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Tests.Models;

public sealed class VoxelEncoderTests(TinyBundle tiny) : IClassFixture<TinyBundle>
{
    private static readonly float[] Trials = Enumerable.Range(0, 2 * 100).Select(i => MathF.Sin(i * 0.7f)).ToArray();

    [Fact]
    public void Loads_every_encoder_with_its_roi_set()
    {
        var encoders = ModelLoader.VoxelEncoders(tiny.Bundle);
        Assert.Equal(["lowlevel_all", "lowlevel_set1", "highlevel"], encoders.Select(e => e.Name));
        Assert.All(encoders, e => Assert.Equal(100, e.VoxelCount));
        Assert.Equal([100, 40, 100], encoders.Select(e => e.InputLength));
    }

    [Fact]
    public void A_subset_encoder_reads_only_its_roi_voxels_in_vector_order()
    {
        var set1 = ModelLoader.VoxelEncoders(tiny.Bundle).Single(e => e.Name == "lowlevel_set1");
        var latent = set1.Encode(Trials, 2).Latent!;
        Assert.Equal([(nint)2, 4, 4, 4], latent.Lengths.ToArray());

        // tests/fixtures/make_bundle.py: Set1 is every other voxel, 0, 2, ..., 78.
        var subset = Enumerable.Range(0, 2).SelectMany(b => Enumerable.Range(0, 40).Select(j => Trials[(b * 100) + (2 * j)])).ToArray();
        using var raw = OrtValue.CreateTensor(subset, [2, 40]);
        using var outputs = tiny.Bundle.VoxelEncoders[1].Component.Session.Run([new("voxels", raw)]);
        Assert.Equal(outputs[0].ToArray<float>(), latent.ToArray(), (a, b) => Math.Abs(a - b) <= 1e-6f * Math.Max(1, Math.Abs(a)));
    }

    [Fact]
    public void A_token_encoder_returns_tokens_and_its_retrieval_embedding()
    {
        var high = ModelLoader.VoxelEncoders(tiny.Bundle).Single(e => e.Entry.Role == VoxelEncoderRole.ImageTokens);
        var encoding = high.Encode(Trials, 2);
        Assert.Null(encoding.Latent);
        Assert.Equal([(nint)2, 5, 16], encoding.ImageTokens!.Lengths.ToArray());
        Assert.Equal([(nint)2, 16], encoding.ImageEmbedding!.Lengths.ToArray());
    }

    [Fact]
    public void Zero_filled_encoders_keep_only_their_set_within_the_full_vector()
    {
        using var temp = new Bundle.TempBundle();
        temp.EditManifest(m =>
        {
            m["voxel_encoders"]![0]!["input"] = "roi_zero_filled";
            m["voxel_encoders"]![0]!["roi_set"] = "Set1";
        });
        using var bundle = ModelBundle.Open(temp.Root);
        var zeroFilled = ModelLoader.VoxelEncoders(bundle)[0];
        var latent = zeroFilled.Encode(Trials.AsSpan(0, 100), 1).Latent!;

        var masked = Enumerable.Range(0, 100).Select(j => j < 80 && j % 2 == 0 ? Trials[j] : 0f).ToArray();
        using var raw = OrtValue.CreateTensor(masked, [1, 100]);
        using var outputs = bundle.VoxelEncoders[0].Component.Session.Run([new("voxels", raw)]);
        Assert.Equal(outputs[0].ToArray<float>(), latent.ToArray(), (a, b) => Math.Abs(a - b) <= 1e-6f * Math.Max(1, Math.Abs(a)));
    }

    [Fact]
    public void A_wrong_voxel_count_names_the_encoder_and_both_counts()
    {
        var encoder = ModelLoader.VoxelEncoders(tiny.Bundle)[0];
        var error = Assert.Throws<VoxelCountMismatchException>(() => encoder.Encode(new float[2 * 99], 2));
        Assert.Equal(100, error.Expected);
        Assert.Equal(99, error.Actual);
        Assert.Contains("voxel encoder 'lowlevel_all'", error.Message);
        Assert.Contains("expects 100 voxels per trial but got 99", error.Message);
    }

    [Fact]
    public void A_bad_roi_set_file_is_a_contract_problem()
    {
        using var temp = new Bundle.TempBundle();
        FmriToImage.Data.Npy.NpyFile.Write(temp.PathOf("masks/set1_indices.npy"), new long[] { 0, 2, 2 }, [3]);
        temp.Rehash("masks/set1_indices.npy");
        using var bundle = ModelBundle.Open(temp.Root);
        var error = Assert.Throws<BundleContractException>(() => ModelLoader.VoxelEncoders(bundle));
        Assert.Contains("entry 2 is 2; entries must be distinct", error.Message);
    }
}
