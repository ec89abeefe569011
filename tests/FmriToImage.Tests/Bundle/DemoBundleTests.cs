using FmriToImage.Bundle;
using FmriToImage.Imaging;
using FmriToImage.Models;
using FmriToImage.Pipelines;

namespace FmriToImage.Tests.Bundle;

/// <summary>
/// The trained demo bundle <c>models/demo/</c> (written by <c>/usr/bin/python3 -m models.forge.train</c>) opens,
/// passes every contract check and runs through each wrapper once. Golden token ids come from the Python trainer's
/// own tokenizer (models/forge/zoo/tokenizers.py), independent of the C# code.
/// </summary>
public sealed class DemoBundleTests
{
    private static string DemoBundle() => TestFiles.RepoPath("models", "demo");

    [Fact]
    public void The_demo_bundle_opens_validates_and_serves_both_brain_pipelines()
    {
        using var bundle = ModelBundle.Open(DemoBundle());
        bundle.Validate();

        Assert.Equal("subj01", bundle.Decoder!.Subject);
        Assert.Equal(["lowlevel_all", "lowlevel_set1", "lowlevel_set2", "lowlevel_set3", "highlevel", "visdec"], bundle.VoxelEncoders.Select(v => v.Entry.Name));
        Assert.Equal(VoxelEncoderInput.RoiZeroFilled, bundle.VoxelEncoders[1].Entry.Input);
        Assert.Equal(["Set1", "Set2", "Set3"], bundle.Decoder.Masks.RoiSets.Keys.Order());
        foreach (var row in PipelineTable.Default.Rows)
        {
            Assert.Empty(PipelineTable.MissingFor(bundle, row));
        }
    }

    [Fact]
    public void The_demo_tokenizer_matches_the_python_trainer()
    {
        // Ids from models/forge/zoo/tokenizers.py (Bpe.encode, context 20) on the exported vocab.json/merges.txt;
        // "turquoise" is not a training word, so it falls back to the byte-level merges.
        using var bundle = ModelBundle.Open(DemoBundle());
        var tokenizer = ModelLoader.TextEncoder(bundle).Tokenizer;
        Assert.Equal(20, tokenizer.ContextLength);
        Assert.Equal([613, 353, 519, 571, 557, 531, 598, 614, 614, 614, 614, 614, 614, 614, 614, 614, 614, 614, 614, 614], tokenizer.Encode("a small red circle on grass").Ids);
        Assert.Equal([613, 353, 528, 116, 526, 551, 111, 105, 115, 357, 549, 604, 580, 353, 559, 614, 614, 614, 614, 614], tokenizer.Encode("a large turquoise figure right of a face").Ids);
    }

    [Fact]
    public void Every_wrapper_runs_once_on_the_demo_bundle()
    {
        using var bundle = ModelBundle.Open(DemoBundle());
        int voxels = bundle.Decoder!.VoxelCount!.Value;

        var encoders = ModelLoader.VoxelEncoders(bundle);
        var input = new float[2 * voxels];
        for (var i = 0; i < input.Length; i++)
        {
            input[i] = MathF.Sin(i * 0.37f);
        }

        ShapedValues? latent = null, tokens = null;
        foreach (var encoder in encoders)
        {
            var encoding = encoder.Encode(input, 2);
            latent ??= encoding.Latent;
            tokens ??= encoding.ImageTokens;
        }

        Assert.Equal([2, 4, 8, 8], latent!.Lengths.ToArray());
        Assert.Equal([2, 17, 64], tokens!.Lengths.ToArray());

        using var unet = ModelLoader.UNet(bundle, 64, 64);
        var noisePrediction = new float[2 * unet.LatentLength];
        unet.Denoise(latent.ToArray(), 2, 501, tokens.ToArray(), noisePrediction, CancellationToken.None);
        Assert.All(noisePrediction, v => Assert.True(float.IsFinite(v)));

        var text = ModelLoader.TextEncoder(bundle).Encode(["a small red circle on grass", ""]);
        Assert.Equal([2, 20, 64], text.HiddenStates.Lengths.ToArray());
        unet.Denoise(latent.ToArray(), 2, 501, text.HiddenStates.ToArray(), noisePrediction, CancellationToken.None);
        Assert.All(noisePrediction, v => Assert.True(float.IsFinite(v)));

        var images = ModelLoader.VaeDecoder(bundle).Decode(latent.ToArray(), 2, 8, 8);
        Assert.Equal([2, 3, 64, 64], images.Lengths.ToArray());

        var captioner = ModelLoader.Captioner(bundle);
        var caption = captioner.Caption([SkyWithRedDisc()]).Single();
        var vocabulary = File.ReadAllLines(Path.Combine(DemoBundle(), "captioner", "vocab.txt")).ToHashSet();
        Assert.NotEmpty(caption);
        Assert.All(caption.Split(' '), word => Assert.Contains(word, vocabulary));
    }

    [Fact]
    public void Altered_copies_of_the_demo_bundle_each_fail_naming_the_cause()
    {
        // A flipped byte: the checksum names the file.
        using (var copy = DemoCopy())
        {
            var unet = Path.Combine(copy.Root, "unet", "model.onnx");
            var bytes = File.ReadAllBytes(unet);
            bytes[^100] ^= 0x10;
            File.WriteAllBytes(unet, bytes);
            Assert.Equal(unet, Assert.Throws<BundleIntegrityException>(() => ModelBundle.Open(copy.Root)).FilePath);
        }

        // A renamed input (a UNet export whose latent input is called 'latents'): the contract names it.
        using (var copy = DemoCopy())
        {
            copy.ReplaceWithVariant("unet/model.onnx", "unet_renamed_input.onnx");
            var error = Assert.Throws<BundleContractException>(() => ModelBundle.Open(copy.Root));
            Assert.Contains(error.Problems, p => p.StartsWith("unet/model.onnx: no input named 'sample'", StringComparison.Ordinal));
        }

        // A wrong voxel count in the manifest (consistently on the full-vector entries that state it, else the manifest
        // itself is refused): every encoder's input disagrees, with both numbers.
        using (var copy = DemoCopy())
        {
            copy.EditManifest(m =>
            {
                m["voxel_count"] = 2000;
                foreach (var entry in m["voxel_encoders"]!.AsArray())
                {
                    if (entry!["input"]?.GetValue<string>() != "roi_subset" && entry["voxel_count"] is not null)
                    {
                        entry["voxel_count"] = 2000;
                    }
                }
            });
            var error = Assert.Throws<BundleContractException>(() => ModelBundle.Open(copy.Root));
            Assert.Contains(error.Problems, p => p.Contains("voxel_encoders/lowlevel_all.onnx: input 'voxels' takes 2534 voxels", StringComparison.Ordinal) && p.Contains("2000", StringComparison.Ordinal));
        }

        // A full-vector encoder stating a voxel count other than the manifest's: the manifest is refused.
        using (var copy = DemoCopy())
        {
            copy.EditManifest(m => m["voxel_count"] = 2000);
            Assert.Contains("must be the manifest's voxel_count 2000", Assert.Throws<BundleFormatException>(() => ModelBundle.Open(copy.Root)).Message);
        }

        // A path escaping the folder.
        using (var copy = DemoCopy())
        {
            copy.EditManifest(m => m["voxel_encoders"]![0]!["file"] = "../../etc/passwd");
            Assert.Contains("leaves the bundle folder", Assert.Throws<BundleFormatException>(() => ModelBundle.Open(copy.Root)).Message);
        }

        // A missing file: named, with the pipelines that need it.
        using (var copy = DemoCopy())
        {
            File.Delete(Path.Combine(copy.Root, "captioner", "decoder.onnx"));
            var error = Assert.Throws<BundleComponentMissingException>(() => ModelBundle.Open(copy.Root, PipelineTable.Default.Naming(new ModelBundleOptions())));
            Assert.Equal("captioner/decoder.onnx", error.RelativePath);
            Assert.Contains("CaptionImg2Img", error.NeededBy);
        }
    }

    private static TempBundle DemoCopy() => new(DemoBundle());

    private static RgbImage SkyWithRedDisc()
    {
        var pixels = new byte[64 * 64 * 3];
        for (var y = 0; y < 64; y++)
        {
            for (var x = 0; x < 64; x++)
            {
                var inside = (x - 32) * (x - 32) + (y - 30) * (y - 30) < 100;
                pixels[(y * 64 + x) * 3] = inside ? (byte)220 : (byte)120;
                pixels[(y * 64 + x) * 3 + 1] = inside ? (byte)30 : (byte)170;
                pixels[(y * 64 + x) * 3 + 2] = inside ? (byte)30 : (byte)230;
            }
        }

        return new RgbImage(64, 64, pixels);
    }
}
