using FmriToImage.Bundle;
using FmriToImage.Pipelines;
using FmriToImage.Text;

namespace FmriToImage.Tests.Bundle;

/// <summary>
/// Every way a bundle once broke the library, each with its hostile file from tests/fixtures/make_hostile_fixtures.py
/// put over a copy of the tiny bundle: each ends in a typed error naming the file, at <see cref="ModelBundle.Open"/>
/// (or <see cref="BrainDecoder.Load"/>), before any network runs.
/// </summary>
// Runs alone: one test bounds allocation with GC.GetTotalAllocatedBytes, which counts every thread of the process.
[Collection(nameof(FmriToImage.Tests.Onnx.ProcessEnvironmentCollection))]
public sealed class HostileBundleTests
{
    private static TempBundle WithManifest(string variant)
    {
        var temp = new TempBundle();
        temp.Overlay(ModelBundle.DecoderManifestFileName, $"fmri_decoder_{variant}.json");
        return temp;
    }

    [Fact]
    public void A_null_files_entry_is_a_format_error_naming_it()
    {
        using var temp = WithManifest("null_files_entry");
        var error = Assert.Throws<BundleFormatException>(() => ModelBundle.Open(temp.Root));
        Assert.Equal(temp.PathOf("fmri_decoder.json"), error.File);
        Assert.Contains("files[\"unet/model.onnx\"] is null", error.Message);
    }

    [Fact]
    public void A_null_voxel_encoder_entry_is_a_format_error_naming_it()
    {
        using var temp = WithManifest("null_voxel_encoder");
        var error = Assert.Throws<BundleFormatException>(() => ModelBundle.Open(temp.Root));
        Assert.Contains("voxel_encoders[1] is null", error.Message);
    }

    [Fact]
    public void A_NUL_in_a_path_is_a_format_error_naming_the_character()
    {
        using var temp = WithManifest("nul_in_path");
        var error = Assert.Throws<BundleFormatException>(() => ModelBundle.Open(temp.Root));
        Assert.Equal(temp.PathOf("fmri_decoder.json"), error.File);
        Assert.Contains("U+0000", error.Message);
        Assert.Contains("voxel_encoders/lowlevel\\u0000all.onnx", error.Message);
    }

    [Fact]
    public void A_sha256_that_is_not_64_hex_digits_is_a_format_error()
    {
        using var temp = new TempBundle();
        temp.EditManifest(m => m["files"]!["unet/model.onnx"] = "not-a-hash");
        var error = Assert.Throws<BundleFormatException>(() => ModelBundle.Open(temp.Root));
        Assert.Contains("files[\"unet/model.onnx\"] is \"not-a-hash\"", error.Message);
    }

    [Fact]
    public void Invalid_utf8_in_model_index_is_caught_by_its_checksum_before_it_is_parsed()
    {
        using var temp = new TempBundle();
        temp.Overlay(ModelBundle.ModelIndexFileName, "model_index_invalid_utf8.json");
        var error = Assert.Throws<BundleIntegrityException>(() => ModelBundle.Open(temp.Root));
        Assert.Equal(temp.PathOf("model_index.json"), error.FilePath);
    }

    [Fact]
    public void Invalid_utf8_in_model_index_with_a_matching_checksum_is_a_format_error_naming_the_offset()
    {
        using var temp = new TempBundle();
        temp.Overlay(ModelBundle.ModelIndexFileName, "model_index_invalid_utf8.json");
        temp.Rehash(ModelBundle.ModelIndexFileName);
        var offset = Array.IndexOf(File.ReadAllBytes(temp.PathOf("model_index.json")), (byte)0xFF);
        var error = Assert.Throws<BundleFormatException>(() => ModelBundle.Open(temp.Root));
        Assert.Equal(temp.PathOf("model_index.json"), error.File);
        Assert.Contains($"not UTF-8 text: the byte at offset {offset}", error.Message);

        // A plain diffusion export (no manifest, nothing hashed) reads it through the same path.
        File.Delete(temp.PathOf("fmri_decoder.json"));
        Assert.Contains($"offset {offset}", Assert.Throws<BundleFormatException>(() => ModelBundle.Open(temp.Root)).Message);
    }

    [Fact]
    public void Invalid_utf8_in_a_component_config_is_a_format_error_naming_the_file()
    {
        using var temp = new TempBundle();
        File.WriteAllBytes(temp.PathOf("unet/config.json"), [.. "{\"cross_attention_dim\": 16, \"x\": \""u8, 0xC3, 0x28, .. "\"}"u8]);
        temp.Rehash("unet/config.json");
        var error = Assert.Throws<BundleFormatException>(() => ModelBundle.Open(temp.Root));
        Assert.Equal(temp.PathOf("unet/config.json"), error.File);
        Assert.Contains("offset 34", error.Message);
    }

    [Fact]
    public void Invalid_utf8_in_the_tokenizer_vocabulary_is_a_tokenizer_error_naming_the_offset()
    {
        using var temp = new TempBundle();
        temp.Overlay("tokenizer/vocab.json", "vocab_invalid_utf8.json");
        temp.Rehash("tokenizer/vocab.json");
        var offset = Array.IndexOf(File.ReadAllBytes(temp.PathOf("tokenizer/vocab.json")), (byte)0xC3);
        var error = Assert.Throws<TokenizerFileException>(() => BrainDecoder.Load(temp.Root).Dispose());
        Assert.Contains("tokenizer/vocab.json", error.Message);
        Assert.Contains($"offset {offset}", error.Message);
    }

    [Fact]
    public void Invalid_utf8_in_a_preprocessor_config_is_a_format_error_naming_the_file()
    {
        using var temp = new TempBundle();
        temp.Overlay("image_encoder/preprocessor_config.json", "preprocessor_config_invalid_utf8.json");
        temp.Rehash("image_encoder/preprocessor_config.json");
        var error = Assert.Throws<BundleFormatException>(() => BrainDecoder.Load(temp.Root).Dispose());
        Assert.Equal(temp.PathOf("image_encoder/preprocessor_config.json"), error.File);
        Assert.Contains("not UTF-8", error.Message);
    }

    [Fact]
    public void A_missing_roi_set_is_refused_at_open_naming_it()
    {
        using var temp = WithManifest("roi_set_missing");
        var error = Assert.Throws<BundleComponentMissingException>(() => ModelBundle.Open(temp.Root));
        Assert.Equal("masks/no_such_set.npy", error.RelativePath);
    }

    [Fact]
    public void A_roi_set_naming_a_folder_is_refused_at_open()
    {
        using var temp = WithManifest("roi_set_folder");
        var error = Assert.Throws<BundleFormatException>(() => ModelBundle.Open(temp.Root));
        Assert.Contains("masks.roi_sets.Set1 names 'masks', which is a folder", error.Message);
    }

    [Fact]
    public void A_missing_nsdgeneral_mask_is_refused_at_open()
    {
        using var temp = WithManifest("nsdgeneral_missing");
        var error = Assert.Throws<BundleComponentMissingException>(() => ModelBundle.Open(temp.Root));
        Assert.Equal("masks/nsdgeneral.nii.gz", error.RelativePath);
    }

    [Fact]
    public void An_nsdgeneral_mask_the_manifest_does_not_list_is_refused_at_open()
    {
        using var temp = WithManifest("nsdgeneral_missing");
        File.Copy(temp.PathOf("masks/set1_indices.npy"), temp.PathOf("masks/nsdgeneral.nii.gz"));
        var error = Assert.Throws<BundleIntegrityException>(() => ModelBundle.Open(temp.Root));
        Assert.Equal(temp.PathOf("masks/nsdgeneral.nii.gz"), error.FilePath);
        Assert.Null(error.ExpectedSha256);
        Assert.Contains("not listed", error.Message);
    }

    [Fact]
    public void An_unlisted_unet_with_its_weights_scaled_is_refused_at_load_naming_it()
    {
        using var temp = WithManifest("unet_unlisted");
        temp.Overlay("unet/model.onnx", "unet_weights_x3.onnx");
        var error = Assert.Throws<BundleIntegrityException>(() => BrainDecoder.Load(temp.Root).Dispose());
        Assert.Equal(temp.PathOf("unet/model.onnx"), error.FilePath);

        // The graph itself is sound: listed with its sha256, the bundle loads. Only the missing entry stops it.
        temp.Rehash("unet/model.onnx");
        BrainDecoder.Load(temp.Root).Dispose();
    }

    [Fact]
    public void An_unlisted_file_beside_a_graph_is_refused_naming_it()
    {
        // ONNX Runtime reads a graph's external weights from files beside it; nothing may sit in a bundle unvouched.
        using var temp = new TempBundle();
        File.WriteAllBytes(temp.PathOf("unet/model.onnx.data"), new byte[64]);
        var error = Assert.Throws<BundleIntegrityException>(() => ModelBundle.Open(temp.Root));
        Assert.Equal(temp.PathOf("unet/model.onnx.data"), error.FilePath);

        // Opting out of checksums opts out of the listing too.
        using var unchecked_ = ModelBundle.Open(temp.Root, new ModelBundleOptions { VerifyChecksums = false });
    }

    [Fact]
    public void A_listed_config_changed_after_open_is_caught_when_it_is_read()
    {
        using var temp = new TempBundle();
        using var bundle = ModelBundle.Open(temp.Root, new ModelBundleOptions { OpenSessionsEagerly = false });
        File.AppendAllText(temp.PathOf("prior/scheduler_config.json"), " ");
        var error = Assert.Throws<BundleIntegrityException>(() => ModelLoader.PriorSchedulerConfig(bundle));
        Assert.Equal(temp.PathOf("prior/scheduler_config.json"), error.FilePath);
    }

    [Fact]
    public void A_link_loop_is_refused_whether_named_or_only_present()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // symbolic links need privileges there
        }

        using (var named = new TempBundle())
        {
            File.CreateSymbolicLink(named.PathOf("voxel_encoders/a.onnx"), "b.onnx");
            File.CreateSymbolicLink(named.PathOf("voxel_encoders/b.onnx"), "a.onnx");
            named.EditManifest(m => m["voxel_encoders"]![0]!["file"] = "voxel_encoders/a.onnx");
            Assert.Contains("link loop", Assert.Throws<BundleFormatException>(() => ModelBundle.Open(named.Root)).Message);
        }

        using var present = new TempBundle();
        Directory.CreateSymbolicLink(present.PathOf("masks/loop"), "loop");
        Assert.Contains("link loop", Assert.Throws<BundleFormatException>(() => ModelBundle.Open(present.Root)).Message);
    }

    [Theory]
    [InlineData("unet/model.onnx", true)]
    [InlineData("model_index.json", true)]
    [InlineData("model_index.json", false)]
    [InlineData("scheduler/scheduler_config.json", false)]
    public async Task A_fifo_at_a_bundle_path_is_refused_fast_instead_of_blocking_the_load(string relative, bool verifyChecksums)
    {
        if (OperatingSystem.IsWindows())
        {
            return; // no FIFOs at file paths there
        }

        using var temp = new TempBundle();
        File.Delete(temp.PathOf(relative));
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", temp.PathOf(relative)))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        // Opening a FIFO for reading blocks until a writer comes: a hang would leave this task unfinished.
        var open = Task.Run(() => ModelBundle.Open(temp.Root, new ModelBundleOptions { VerifyChecksums = verifyChecksums }));
        Assert.Same(open, await Task.WhenAny(open, Task.Delay(TimeSpan.FromSeconds(60))));
        var error = await Assert.ThrowsAnyAsync<FmriToImageException>(() => open);
        Assert.Contains("0 bytes", error.Message);
    }

    [Fact]
    public void A_huge_num_train_timesteps_is_refused_at_load_without_allocating_it()
    {
        using var temp = new TempBundle();
        temp.Overlay(ModelBundle.SchedulerConfigPath, "scheduler_config_huge_timesteps.json");
        temp.Rehash(ModelBundle.SchedulerConfigPath);
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(temp.Root).Dispose());
        Assert.Contains(error.Problems, p => p.StartsWith("scheduler/scheduler_config.json: ", StringComparison.Ordinal) && p.Contains("NumTrainTimesteps must be at most 10000; it is 1000000000", StringComparison.Ordinal)); // the fixture's PNDMScheduler caps T at 10,000
        Assert.True(GC.GetTotalAllocatedBytes(precise: true) - before < 1L << 30, "the refusal allocated a gigabyte or more");
    }
}
