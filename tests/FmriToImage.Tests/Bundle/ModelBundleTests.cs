using System.Text.Json.Nodes;
using FmriToImage.Bundle;
using FmriToImage.Pipelines;

namespace FmriToImage.Tests.Bundle;

public sealed class ModelBundleTests
{
    [Fact]
    public void The_fixture_bundle_opens_validates_and_serves_every_pipeline()
    {
        using var bundle = ModelBundle.Open(TestFiles.Fixture("bundle", "tiny"));

        Assert.NotNull(bundle.Decoder);
        Assert.Equal("subj01", bundle.Decoder!.Subject);
        Assert.Equal(100, bundle.Decoder.VoxelCount);
        Assert.Equal(["lowlevel_all", "lowlevel_set1", "highlevel"], bundle.VoxelEncoders.Select(v => v.Entry.Name));
        Assert.Equal(VoxelEncoderRole.ImageTokens, bundle.VoxelEncoders[2].Entry.Role);
        Assert.Equal(VoxelEncoderInput.RoiSubset, bundle.VoxelEncoders[1].Entry.Input);
        Assert.Equal(40, bundle.VoxelEncoders[1].Entry.VoxelCount);
        Assert.Equal(0.85, bundle.Decoder.Pipelines["unclip"].Strength);
        Assert.Equal("diffusers.UNet2DConditionModel", bundle.ModelIndexComponents["unet"]);
        Assert.DoesNotContain("safety_checker", bundle.ModelIndexComponents.Keys);
        Assert.Equal(0.5, bundle.VaeDecoder!.ConfigNumber("scaling_factor"));
        Assert.True(bundle.Unet!.IsOpen, "eager opening opens every session");
        Assert.Equal(TensorElementType.Float, bundle.Unet.Session.Inputs.Single(i => i.Name == "timestep").ElementType);

        // Every pipeline but the one-shot generator's and the Conditioned one: the tiny bundle has no generator/ (its
        // contract is tested on the demo) and no conditioning_tokens encoder (ConditionedPipelineTests add one).
        foreach (var row in PipelineTable.Default.Rows.Where(r => !r.Components.Contains(BundleComponentKind.Generator) && r.Pipeline != ReconstructionPipeline.Conditioned))
        {
            Assert.Empty(PipelineTable.MissingFor(bundle, row));
            PipelineTable.Default.Require(bundle, row.Pipeline);
        }

        Assert.Equal(["generator/model.onnx"], PipelineTable.Default.MissingFor(bundle, ReconstructionPipeline.ClipGenerator));
        Assert.Equal(["fmri_decoder.json: a voxel encoder with role 'conditioning_tokens'"], PipelineTable.Default.MissingFor(bundle, ReconstructionPipeline.Conditioned));
    }

    [Fact]
    public void Lazy_opening_opens_sessions_on_first_use_and_validate_checks_everything()
    {
        using var bundle = ModelBundle.Open(TestFiles.Fixture("bundle", "tiny"), new ModelBundleOptions { OpenSessionsEagerly = false });
        Assert.False(bundle.Unet!.IsOpen);
        Assert.Equal("out_sample", bundle.Unet.Session.Outputs[0].Name);
        Assert.True(bundle.Unet.IsOpen);
        Assert.False(bundle.VaeDecoder!.IsOpen);
        bundle.Validate();
        Assert.True(bundle.VaeDecoder.IsOpen);
    }

    [Fact]
    public void A_flipped_byte_is_caught_by_the_checksum_naming_the_file()
    {
        using var temp = new TempBundle();
        var unet = temp.PathOf("unet/model.onnx");
        var bytes = File.ReadAllBytes(unet);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(unet, bytes);

        var error = Assert.Throws<BundleIntegrityException>(() => ModelBundle.Open(temp.Root));
        Assert.Equal(unet, error.FilePath);
        Assert.Contains("unet", error.Message);
        Assert.Contains("sha256", error.Message);
        Assert.NotEqual(error.ExpectedSha256, error.ActualSha256);
    }

    [Fact]
    public void A_renamed_input_is_named_with_the_inputs_the_graph_has()
    {
        using var temp = new TempBundle();
        temp.ReplaceWithVariant("unet/model.onnx", "unet_renamed_input.onnx");

        var error = Assert.Throws<BundleContractException>(() => ModelBundle.Open(temp.Root));
        Assert.Contains(error.Problems, p => p.StartsWith("unet/model.onnx: no input named 'sample'", StringComparison.Ordinal) && p.Contains("latents: float32", StringComparison.Ordinal));
    }

    [Fact]
    public void A_wrong_voxel_count_names_both_counts()
    {
        using var temp = new TempBundle();
        temp.ReplaceWithVariant("voxel_encoders/lowlevel_all.onnx", "lowlevel_all_99_voxels.onnx");

        var error = Assert.Throws<BundleContractException>(() => ModelBundle.Open(temp.Root));
        var problem = Assert.Single(error.Problems);
        Assert.Contains("voxel_encoders/lowlevel_all.onnx: input 'voxels' takes 99 voxels ([batch, 99]) but fmri_decoder.json says it reads the subject's 100 voxels", problem);
    }

    [Theory]
    [InlineData("nsdgeneral")]
    [InlineData("roi_zero_filled")]
    public void A_full_vector_encoder_stating_another_voxel_count_is_refused_at_open(string input)
    {
        // Such an encoder is fed the whole vector, so its own voxel_count must be the manifest's.
        using var temp = new TempBundle();
        temp.EditManifest(m =>
        {
            m["voxel_encoders"]![0]!["input"] = input;
            m["voxel_encoders"]![0]!["roi_set"] = "Set1";
            m["voxel_encoders"]![0]!["voxel_count"] = 99;
        });

        var error = Assert.Throws<BundleFormatException>(() => ModelBundle.Open(temp.Root));
        Assert.EndsWith("fmri_decoder.json", error.File);
        Assert.Contains("voxel encoder 'lowlevel_all'", error.Message);
        Assert.Contains("must be the manifest's voxel_count 100; it is 99", error.Message);
    }

    [Fact]
    public void A_captioner_attention_mask_of_an_unusable_type_is_a_contract_problem()
    {
        using var temp = new TempBundle();
        temp.ReplaceWithVariant("captioner/decoder.onnx", "captioner_decoder_bool_mask.onnx");

        var error = Assert.Throws<BundleContractException>(() => ModelBundle.Open(temp.Root));
        Assert.True(error.Problems.Any(p => p.Contains("captioner/decoder.onnx: input 'attention_mask' is bool", StringComparison.Ordinal) && p.Contains("int64", StringComparison.Ordinal)), string.Join(Environment.NewLine, error.Problems));
    }

    [Fact]
    public void The_supported_unconditional_inputs_are_read()
    {
        using var temp = new TempBundle();
        temp.EditManifest(m => m["unconditional"] = new JsonObject { ["text"] = "text_encoder last_hidden_state of the empty caption", ["image_tokens"] = "zeros" });
        using var bundle = ModelBundle.Open(temp.Root);
        Assert.Equal("zeros", bundle.Decoder!.Unconditional["image_tokens"]);
    }

    [Theory]
    [InlineData("image_tokens", "mean_tokens", "unconditional.image_tokens is \"mean_tokens\"; this library builds only \"zeros\"")]
    [InlineData("text", "negative prompt", "unconditional.text is \"negative prompt\"")]
    [InlineData("pooled", "zeros", "unconditional.pooled is not a conditioning kind this library builds")]
    public void An_unconditional_input_the_library_does_not_build_is_refused_at_open(string kind, string value, string expected)
    {
        using var temp = new TempBundle();
        temp.EditManifest(m => m["unconditional"] = new JsonObject { [kind] = value });
        var error = Assert.Throws<BundleFormatException>(() => ModelBundle.Open(temp.Root));
        Assert.EndsWith("fmri_decoder.json", error.File);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Every_mismatch_is_reported_at_once()
    {
        using var temp = new TempBundle();
        temp.ReplaceWithVariant("unet/model.onnx", "unet_width_32.onnx");
        temp.ReplaceWithVariant("text_encoder/model.onnx", "text_encoder_float_ids.onnx");
        temp.ReplaceWithVariant("vae_decoder/model.onnx", "vae_decoder_8_channels.onnx");

        var error = Assert.Throws<BundleContractException>(() => ModelBundle.Open(temp.Root));
        Assert.Contains(error.Problems, p => p.Contains("text_encoder/model.onnx: input 'input_ids' is float32 but must be int64 or int32", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("text_encoder/model.onnx: output 'last_hidden_state' [batch, sequence, 16] has 16 at axis 2 but unet/model.onnx input 'encoder_hidden_states' (width 32) needs 32", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("voxel_encoders/highlevel.onnx: output 'image_tokens'", StringComparison.Ordinal));
        Assert.Contains(error.Problems, p => p.Contains("unet/model.onnx: input 'sample' [batch, 4, height, width] has 4 at axis 1 but vae_decoder/model.onnx (latent channels 8) needs 8", StringComparison.Ordinal));
        Assert.True(error.Problems.Count >= 5, string.Join(Environment.NewLine, error.Problems));
        Assert.Contains($"({error.Problems.Count} problems)", error.Message);
    }

    [Fact]
    public void A_vae_config_without_scaling_factor_is_a_contract_problem()
    {
        using var temp = new TempBundle();
        File.WriteAllText(temp.PathOf("vae_decoder/config.json"), """{"latent_channels": 4}""");
        temp.Rehash("vae_decoder/config.json");
        var error = Assert.Throws<BundleContractException>(() => ModelBundle.Open(temp.Root));
        Assert.Contains(error.Problems, p => p.Contains("vae_decoder/model.onnx: its config.json has no numeric 'scaling_factor'", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("../outside.onnx")]
    [InlineData("voxel_encoders/../../outside.onnx")]
    [InlineData("/etc/passwd")]
    public void Paths_leaving_the_bundle_are_refused(string path)
    {
        using var temp = new TempBundle();
        temp.EditManifest(m => m["voxel_encoders"]![0]!["file"] = path);
        var error = Assert.Throws<BundleFormatException>(() => ModelBundle.Open(temp.Root));
        Assert.EndsWith("fmri_decoder.json", error.File);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_link_pointing_out_of_the_bundle_is_refused()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // symbolic links need privileges there
        }

        using var temp = new TempBundle();
        var outside = Path.Combine(Path.GetTempPath(), $"outside-{Guid.NewGuid():N}.onnx");
        File.Copy(temp.PathOf("voxel_encoders/lowlevel_all.onnx"), outside);
        try
        {
            File.CreateSymbolicLink(temp.PathOf("voxel_encoders/linked.onnx"), outside);
            temp.EditManifest(m => m["voxel_encoders"]![0]!["file"] = "voxel_encoders/linked.onnx");
            var error = Assert.Throws<BundleFormatException>(() => ModelBundle.Open(temp.Root));
            Assert.Contains("outside the bundle folder", error.Message);
        }
        finally
        {
            File.Delete(outside);
        }
    }

    [Fact]
    public void A_chain_of_links_that_looks_inside_but_leads_outside_is_refused()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // symbolic links need privileges there
        }

        // voxel_encoders/linked.onnx -> ../evil/secret.onnx, and evil -> a folder outside: the first link's target
        // reads as inside the bundle, the file really read is not.
        using var temp = new TempBundle();
        var outside = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"outside-{Guid.NewGuid():N}")).FullName;
        File.Copy(temp.PathOf("voxel_encoders/lowlevel_all.onnx"), Path.Combine(outside, "secret.onnx"));
        try
        {
            Directory.CreateSymbolicLink(temp.PathOf("evil"), outside);
            File.CreateSymbolicLink(temp.PathOf("voxel_encoders/linked.onnx"), "../evil/secret.onnx");
            temp.EditManifest(m => m["voxel_encoders"]![0]!["file"] = "voxel_encoders/linked.onnx");
            var error = Assert.Throws<BundleFormatException>(() => ModelBundle.Open(temp.Root, new ModelBundleOptions { VerifyChecksums = false }));
            Assert.Contains("outside the bundle folder", error.Message);
            Assert.Contains(outside, error.Message);
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public void Links_that_stay_inside_the_bundle_are_accepted()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        using var temp = new TempBundle();
        File.CreateSymbolicLink(temp.PathOf("voxel_encoders/alias.onnx"), "lowlevel_all.onnx");
        temp.EditManifest(m => m["voxel_encoders"]![0]!["file"] = "voxel_encoders/alias.onnx");
        using var bundle = ModelBundle.Open(temp.Root, new ModelBundleOptions { VerifyChecksums = false });
        Assert.Equal("voxel_encoders/alias.onnx", bundle.VoxelEncoders[0].Component.RelativePath);
    }

    [Fact]
    public void Malformed_manifests_name_the_file_and_the_field()
    {
        using var temp = new TempBundle();
        var manifest = temp.PathOf("fmri_decoder.json");
        var original = File.ReadAllText(manifest);

        File.WriteAllText(manifest, "{ \"format_version\": 1, ");
        var syntax = Assert.Throws<BundleFormatException>(() => ModelBundle.Open(temp.Root));
        Assert.Equal(manifest, syntax.File);

        var withoutSubject = JsonNode.Parse(original)!.AsObject();
        withoutSubject.Remove("subject");
        File.WriteAllText(manifest, withoutSubject.ToJsonString());
        var missing = Assert.Throws<BundleFormatException>(() => ModelBundle.Open(temp.Root));
        Assert.Contains("subject", missing.Message);

        var future = JsonNode.Parse(original)!.AsObject();
        future["format_version"] = 3;
        File.WriteAllText(manifest, future.ToJsonString());
        var version = Assert.Throws<BundleFormatException>(() => ModelBundle.Open(temp.Root));
        Assert.Contains("format_version is 3", version.Message);

        var badRole = JsonNode.Parse(original)!.AsObject();
        badRole["voxel_encoders"]![0]!["role"] = "clip_magic";
        File.WriteAllText(manifest, badRole.ToJsonString());
        var role = Assert.Throws<BundleFormatException>(() => ModelBundle.Open(temp.Root));
        Assert.Contains("voxel_encoders[0].role", role.Message);

        var unknownSet = JsonNode.Parse(original)!.AsObject();
        unknownSet["voxel_encoders"]![1]!["roi_set"] = "Set9";
        File.WriteAllText(manifest, unknownSet.ToJsonString());
        var set = Assert.Throws<BundleFormatException>(() => ModelBundle.Open(temp.Root));
        Assert.Contains("'Set9' is not one of masks.roi_sets (Set1)", set.Message);
    }

    [Fact]
    public void A_folder_without_model_index_or_that_does_not_exist_is_refused()
    {
        var none = Assert.Throws<BundleFormatException>(() => ModelBundle.Open(Path.Combine(Path.GetTempPath(), "no-such-bundle")));
        Assert.Contains("no such bundle folder", none.Message);

        using var temp = new TempBundle();
        File.Delete(temp.PathOf("model_index.json"));
        var error = Assert.Throws<BundleFormatException>(() => ModelBundle.Open(temp.Root));
        Assert.Contains("model_index.json", error.Message);
    }
}
