using System.Numerics.Tensors;
using System.Text.Json.Nodes;
using FmriToImage.Bundle;
using FmriToImage.Data;
using FmriToImage.Data.Npy;
using FmriToImage.Pipelines;

namespace FmriToImage.Tests.Bundle;

/// <summary>
/// The shared-subject (format 2) bundle of tests/fixtures/make_shared_bundle.py: three subjects (30, 45, 20 voxels; two
/// .npy adapters, one ONNX adapter), one tanh backbone behind two encoder entries. Goldens are that script's float64
/// NumPy outputs computed from the weights (tests/fixtures/bundle/shared_golden/golden.json), never from our code.
/// </summary>
public sealed class SharedBundleTests
{
    private static readonly string[] SubjectIds = ["subj01", "subj02", "subj03"];

    private static string Shared => TestFiles.Fixture("bundle", "shared");

    private static JsonNode Golden { get; } = JsonNode.Parse(File.ReadAllText(TestFiles.Fixture("bundle", "shared_golden", "golden.json")))!;

    [Fact]
    public void Loads_with_every_subject_and_one_backbone_session_for_two_roles()
    {
        using var decoder = BrainDecoder.Load(Shared);
        Assert.Equal(SubjectIds, decoder.Subjects);
        Assert.Null(decoder.Subject);
        Assert.Equal(0, decoder.VoxelCount);
        Assert.Equal(RepetitionAveraging.Outputs, decoder.RepetitionAveraging);
        Assert.Equal([30, 45, 20], SubjectIds.Select(decoder.VoxelCountOf));
        Assert.EndsWith(Path.Combine("subjects", "subj02", "nsdgeneral.nii"), decoder.NsdgeneralMaskPathOf("subj02"));
        Assert.Contains(ReconstructionPipeline.Unclip, decoder.AvailablePipelines);
        Assert.Contains(decoder.Networks, n => n.Kind == BundleComponentKind.SubjectAdapter && n.Name == "subj03");

        var encoders = decoder.Bundle.VoxelEncoders;
        Assert.Equal(2, encoders.Count);
        Assert.Same(encoders[0].Component.Session, encoders[1].Component.Session);
    }

    [Theory]
    [InlineData("subj01")]
    [InlineData("subj02")]
    [InlineData("subj03")]
    public void Every_subject_maps_and_encodes_as_the_numpy_reference(string subject)
    {
        using var bundle = ModelBundle.Open(Shared);
        var mapping = ModelLoader.SubjectMappings(bundle)[subject];
        var encoders = ModelLoader.VoxelEncoders(bundle);
        var trials = NpyFile.Read<float>(TestFiles.Fixture("bundle", "shared_golden", $"{subject}_trials.npy")).ToArray();
        var golden = Golden["subjects"]![subject]!["trials"]!;

        var shared = new float[2 * mapping.Width];
        mapping.Map(trials, 2, shared);
        Near(golden["shared"]!, shared, 1e-5);

        var tokens = encoders.Single(e => e.Entry.Role == VoxelEncoderRole.ImageTokens).Encode(shared, 2);
        Near(golden["image_tokens"]!, tokens.ImageTokens!.Span, 1e-5);
        Near(golden["image_embedding"]!, tokens.ImageEmbedding!.Span, 1e-5);
        Near(golden["latent"]!, encoders.Single(e => e.Entry.Role == VoxelEncoderRole.VaeLatent).Encode(shared, 2).Latent!.Span, 1e-5);
    }

    [Fact]
    public void The_linear_adapter_allocates_nothing_per_batch()
    {
        using var bundle = ModelBundle.Open(Shared);
        var mapping = ModelLoader.SubjectMappings(bundle)["subj01"];
        var voxels = Enumerable.Range(0, 4 * 30).Select(i => (float)Math.Sin(i)).ToArray();
        var shared = new float[4 * 8];
        mapping.Map(voxels, 4, shared);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            mapping.Map(voxels, 4, shared);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void The_public_brain_embedding_of_a_named_subject_goes_through_its_adapter()
    {
        using var decoder = BrainDecoder.Load(Shared);
        var trials = new VoxelMatrix(NpyFile.Read<float>(TestFiles.Fixture("bundle", "shared_golden", "subj03_trials.npy")).ToArray(), 2, 20);
        Near(Golden["subjects"]!["subj03"]!["trials"]!["image_embedding"]!, decoder.EmbedBrain(trials, "subj03"), 1e-5);
        Assert.Contains("subj01, subj02, subj03", Assert.Throws<ArgumentException>(() => decoder.EmbedBrain(trials)).Message);
    }

    [Theory]
    [InlineData("subj01")]
    [InlineData("subj03")]
    public void Output_averaging_is_the_mean_of_separate_runs_padded_by_duplication_and_differs_from_voxel_averaging(string subject)
    {
        using var bundle = ModelBundle.Open(Shared);
        var mapping = ModelLoader.SubjectMappings(bundle)[subject];
        var high = ModelLoader.VoxelEncoders(bundle).Single(e => e.Entry.Role == VoxelEncoderRole.ImageTokens);
        var golden = Golden["subjects"]![subject]!;
        var a = NpyFile.Read<float>(TestFiles.Fixture("bundle", "shared_golden", $"{subject}_repeats_a.npy")).ToArray();
        var b = NpyFile.Read<float>(TestFiles.Fixture("bundle", "shared_golden", $"{subject}_repeats_b.npy")).ToArray();
        var v = mapping.VoxelCount;

        // Image A's three repeats, then B's two padded to three by repeating B's first (r mod 2).
        var rows = a.Concat(b).Concat(b.Take(v)).ToArray();
        var shared = new float[6 * mapping.Width];
        mapping.Map(rows, 6, shared);
        var averaged = high.Encode(shared, 2, 3);
        var expected = golden["outputs_averaged"]!;
        Near(expected["a"]!["image_embedding"]!, averaged.ImageEmbedding!.Span[..16], 1e-5);
        Near(expected["b"]!["image_embedding"]!, averaged.ImageEmbedding!.Span[16..], 1e-5);
        Near(expected["a"]!["image_tokens"]!, averaged.ImageTokens!.Span[..80], 1e-5);

        // The tanh makes the two rules differ by far more than the tolerance.
        var voxelsRule = golden["voxels_averaged"]!["a"]!["image_embedding"]!.AsArray().Select(x => (float)x!).ToArray();
        Assert.True(TensorPrimitives.Distance(voxelsRule, averaged.ImageEmbedding!.Span[..16]) > 1e-3);
    }

    [Fact]
    public void The_decoder_combines_repeats_by_the_rule_asked_for()
    {
        using var decoder = BrainDecoder.Load(Shared);
        var a = NpyFile.Read<float>(TestFiles.Fixture("bundle", "shared_golden", "subj01_repeats_a.npy")).ToArray();
        var b = NpyFile.Read<float>(TestFiles.Fixture("bundle", "shared_golden", "subj01_repeats_b.npy")).ToArray();
        var trials = new VoxelMatrix([.. a, .. b], 5, 30);
        int[] ids = [7, 7, 7, 9, 9];
        var request = new ReconstructionRequest { Pipeline = ReconstructionPipeline.Unclip, Subject = "subj01", Steps = 4, Samples = 1, UsePrior = false };

        var outputs = Collect(decoder.ReconstructImagesAsync(trials, ids, request));
        var voxels = Collect(decoder.ReconstructImagesAsync(trials, ids, request with { RepetitionAveraging = RepetitionAveraging.Voxels }));
        Assert.Equal(2, outputs.Length);
        Assert.Equal(RepetitionAveraging.Outputs, outputs[0].Request.RepetitionAveraging);
        Assert.Equal("subj01", outputs[0].Request.Subject);
        Assert.NotEqual(outputs[0].Candidates[0].Score, voxels[0].Candidates[0].Score);

        // Voxel averaging is decoding the mean trial; output averaging of one repeat is decoding that trial.
        var mean = new float[30];
        for (var r = 0; r < 3; r++)
        {
            TensorPrimitives.Add(mean, a.AsSpan(r * 30, 30), mean);
        }

        TensorPrimitives.Divide(mean, 3f, mean);
        var direct = decoder.Reconstruct(mean, request);
        Assert.Equal(direct.Candidates[0].Score, voxels[0].Candidates[0].Score, 5);
        var single = decoder.ReconstructRepeats(new VoxelMatrix(a[..30], 1, 30), request);
        Assert.Equal(decoder.Reconstruct(a.AsSpan(0, 30), request).Image.PixelArray, single.Image.PixelArray);
    }

    [Fact]
    public void A_subject_must_be_named_listed_and_fed_its_own_voxel_count()
    {
        using var decoder = BrainDecoder.Load(Shared);
        var voxels = new float[30];
        var unnamed = Assert.Throws<ArgumentException>(() => decoder.Reconstruct(voxels, new ReconstructionRequest { Pipeline = ReconstructionPipeline.Unclip }));
        Assert.Contains("required", unnamed.Message);
        Assert.Contains("subj01, subj02, subj03", unnamed.Message);
        var unknown = Assert.Throws<ArgumentException>(() => decoder.Reconstruct(voxels, new ReconstructionRequest { Subject = "subj09" }));
        Assert.Contains("\"subj09\"", unknown.Message);
        Assert.Contains("subj01, subj02, subj03", unknown.Message);
        Assert.Throws<VoxelCountMismatchException>(() => decoder.Reconstruct(voxels, new ReconstructionRequest { Subject = "subj02" }));
    }

    [Fact]
    public void A_format_1_bundle_takes_its_own_subject_or_none()
    {
        using var decoder = BrainDecoder.Load(TestFiles.Fixture("bundle", "tiny"));
        Assert.Equal(["subj01"], decoder.Subjects);
        Assert.Equal(RepetitionAveraging.Voxels, decoder.RepetitionAveraging);
        var voxels = new float[100];
        var error = Assert.Throws<ArgumentException>(() => decoder.Reconstruct(voxels, new ReconstructionRequest { Subject = "subj02" }));
        Assert.Contains("decodes only subj01", error.Message);
        Assert.Equal(decoder.EmbedBrain(voxels), decoder.EmbedBrain(new VoxelMatrix(voxels, 1, 100), "subj01"));
    }

    [Theory]
    [InlineData("format_version", "3", "format_version is 3")]
    [InlineData("subject", "\"subj01\"", "subject is a format_version 1 field")]
    [InlineData("shared_space", null, "shared_space is missing")]
    [InlineData("repetition_averaging", "\"median\"", "repetition_averaging is \"median\"")]
    [InlineData("subjects", "{}", "subjects is empty")]
    [InlineData("subjects.S1", "{\"voxel_count\": 3, \"adapter\": {\"file\": \"x.onnx\"}}", "subjects has the key \"S1\"")]
    [InlineData("subjects.subj01.adapter.file", "\"subjects/subj03/adapter.onnx\"", "subjects.subj01.adapter names both")]
    [InlineData("subjects.subj01.adapter.bias", null, "subjects.subj01.adapter.bias is missing")]
    [InlineData("subjects.subj02.source", "\"imported\"", "subjects.subj02.source is \"imported\"")]
    [InlineData("subjects.subj02.voxel_count", "0", "subjects.subj02.voxel_count is 0")]
    [InlineData("shared_space.width", "0", "shared_space.width is 0")]
    [InlineData("shared_space.image_ids", null, "shared_space.image_ids is missing")]
    [InlineData("voxel_encoders.0.input", "\"nsdgeneral\"", "every voxel encoder reads the shared space")]
    [InlineData("subjects.subj01.standardization.std", "\"../escape.npy\"", "leaves the bundle folder")]
    public void A_malformed_format_2_manifest_is_refused_naming_the_field(string field, string? json, string expected)
    {
        using var copy = new TempBundle(Shared);
        copy.EditManifest(m => Set(m, field, json));
        var error = Assert.Throws<BundleFormatException>(() => BrainDecoder.Load(copy.Root));
        Assert.Contains(expected, error.Message);
        Assert.Contains("fmri_decoder.json", error.Message);
    }

    [Fact]
    public void Format_2_fields_in_a_format_1_manifest_are_refused()
    {
        using var copy = new TempBundle();
        copy.EditManifest(m => m["repetition_averaging"] = "outputs");
        Assert.Contains("repetition_averaging is a format_version 2 field", Assert.Throws<BundleFormatException>(() => BrainDecoder.Load(copy.Root)).Message);
    }

    [Theory]
    [InlineData("subjects.subj01.voxel_count", "31", "adapter_weight.npy (subjects.subj01.adapter.weight): shape (30, 8); (31, 8) is expected")]
    [InlineData("subjects.subj03.voxel_count", "21", "subjects/subj03/adapter.onnx: input 'voxels' takes 20 voxels")]
    [InlineData("shared_space.width", "9", "voxel_encoders/backbone.onnx: input 'shared' takes 8 voxels")]
    public void Arrays_and_graphs_that_do_not_fit_the_manifest_are_contract_errors(string field, string json, string expected)
    {
        using var copy = new TempBundle(Shared);
        copy.EditManifest(m => Set(m, field, json));
        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(copy.Root));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_zero_std_and_repeated_image_ids_are_contract_errors()
    {
        using var copy = new TempBundle(Shared);
        var std = Enumerable.Repeat(1f, 30).ToArray();
        std[4] = 0f;
        NpyFile.Write<float>(copy.PathOf("subjects/subj01/voxel_std.npy"), std, [30]);
        copy.Rehash("subjects/subj01/voxel_std.npy");
        var ids = Enumerable.Range(0, 12).Select(i => (long)(i % 11)).ToArray();
        NpyFile.Write<long>(copy.PathOf("shared_space/image_ids.npy"), ids, [12]);
        copy.Rehash("shared_space/image_ids.npy");
        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(copy.Root));
        Assert.Contains("value 4 is 0; every std is > 0", error.Message);
        Assert.Contains("shared_space/image_ids.npy (shared_space.image_ids): entry 11 is 0; image ids are distinct", error.Message);
    }

    [Fact]
    public void A_float64_weight_is_refused_naming_its_type()
    {
        using var copy = new TempBundle(Shared);
        NpyFile.Write<double>(copy.PathOf("subjects/subj02/adapter_bias.npy"), new double[8], [8]);
        copy.Rehash("subjects/subj02/adapter_bias.npy");
        Assert.Contains("(subjects.subj02.adapter.bias): element type Float64; Float32 is expected", Assert.Throws<BundleContractException>(() => BrainDecoder.Load(copy.Root)).Message);
    }

    internal static void Set(JsonObject manifest, string field, string? json)
    {
        var parts = field.Split('.');
        JsonNode node = manifest;
        foreach (var part in parts[..^1])
        {
            node = int.TryParse(part, out var index) ? node[index]! : node[part]!;
        }

        var last = parts[^1];
        if (json is null)
        {
            node.AsObject().Remove(last);
        }
        else
        {
            node[last] = JsonNode.Parse(json);
        }
    }

    private static Reconstruction[] Collect(IAsyncEnumerable<Reconstruction> results) => results.ToBlockingEnumerable().ToArray();

    private static void Near(JsonNode expected, ReadOnlySpan<float> actual, double tolerance)
    {
        var values = expected.AsArray().Select(x => (double)x!).ToArray();
        Assert.Equal(values.Length, actual.Length);
        for (var i = 0; i < values.Length; i++)
        {
            Assert.True(Math.Abs(values[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(values[i])), $"value {i}: expected {values[i]}, got {actual[i]}");
        }
    }
}
