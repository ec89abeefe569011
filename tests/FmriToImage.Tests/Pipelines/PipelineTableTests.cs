using FmriToImage.Bundle;
using FmriToImage.Imaging;
using FmriToImage.Pipelines;
using FmriToImage.Tests.Bundle;

namespace FmriToImage.Tests.Pipelines;

/// <summary>
/// The one table of what each pipeline needs (<see cref="PipelineTable"/>): what a bundle lacks and which pipelines
/// need a missing file are read from its rows alone, and a pipeline is added with one class and one row.
/// </summary>
public sealed class PipelineTableTests
{
    /// <summary>A pipeline no bundle manifest knows, registered by a test only.</summary>
    private const ReconstructionPipeline Toy = (ReconstructionPipeline)100;

    /// <summary>The toy pipeline's one row: it decodes the first low-level encoder's latent and returns that image.</summary>
    private static readonly PipelineRequirement ToyRow = new(
        Toy,
        "Toy",
        "toy",
        new LowLevelOnlyPipeline(),
        [BundleComponentKind.VaeDecoder],
        [],
        [VoxelEncoderRole.VaeLatent],
        []);

    private static float[] Trial(int seed) => Enumerable.Range(0, 100).Select(i => MathF.Sin((i * 0.37f) + seed)).ToArray();

    [Fact]
    public void A_pipeline_is_added_with_one_class_and_one_row()
    {
        using var decoder = BrainDecoder.Load(TestFiles.Fixture("bundle", "tiny"), new BrainDecoderOptions { Pipelines = PipelineTable.Default.With(ToyRow) });
        Assert.Equal([ReconstructionPipeline.CaptionImg2Img, ReconstructionPipeline.Unclip, ReconstructionPipeline.MindEye2, Toy], decoder.AvailablePipelines);

        var result = decoder.Reconstruct(Trial(1), new ReconstructionRequest { Pipeline = Toy });
        Assert.Equal(Toy, result.Pipeline);
        Assert.Equal(32, result.Image.Width);
        Assert.Same(result.Image, result.ChosenLowLevelImage);
        Assert.Equal(new PipelineDefaults().Steps, result.Request.Steps); // no "toy" key in the manifest: library defaults

        // The default table does not know it.
        using var plain = BrainDecoder.Load(TestFiles.Fixture("bundle", "tiny"));
        Assert.DoesNotContain(Toy, plain.AvailablePipelines);
        var unknown = Assert.Throws<ArgumentOutOfRangeException>(() => plain.Reconstruct(Trial(1), new ReconstructionRequest { Pipeline = Toy }));
        Assert.Equal("request", unknown.ParamName);
        Assert.Contains("ReconstructionRequest.Pipeline is 100", unknown.Message);
    }

    [Fact]
    public void A_missing_file_names_the_added_pipeline_too()
    {
        using var temp = new TempBundle();
        File.Delete(temp.PathOf("vae_decoder/model.onnx"));
        var error = Assert.Throws<BundleComponentMissingException>(() => BrainDecoder.Load(temp.Root, new BrainDecoderOptions { Pipelines = PipelineTable.Default.With(ToyRow) }));
        Assert.Equal("vae_decoder/model.onnx", error.RelativePath);
        Assert.Equal([.. PipelineTable.Default.Rows.Where(r => r.Components.Contains(BundleComponentKind.VaeDecoder)).Select(r => r.Name), "Toy"], error.NeededBy);
        Assert.Contains("CaptionImg2Img", error.NeededBy);
    }

    [Fact]
    public void Files_the_loader_misses_name_the_pipelines_of_the_decoders_table()
    {
        using var temp = new TempBundle();
        Directory.Delete(temp.PathOf("prior"), recursive: true);
        Directory.Delete(temp.PathOf("vae_encoder"), recursive: true);
        temp.EditManifest(m =>
        {
            foreach (var file in new[] { "prior/model.onnx", "prior/scheduler_config.json", "vae_encoder/model.onnx", "vae_encoder/config.json" })
            {
                m["files"]!.AsObject().Remove(file);
            }
        });
        using var bundle = ModelBundle.Open(temp.Root);
        var table = PipelineTable.Default.With(ToyRow with { Components = [BundleComponentKind.VaeDecoder, BundleComponentKind.VaeEncoder], UsesPrior = true });

        Assert.Equal(["Unclip (with its prior)", "MindEye2 (with its prior)", "Toy (with its prior)"], Assert.Throws<BundleComponentMissingException>(() => ModelLoader.Prior(bundle, table)).NeededBy);
        Assert.Equal(["Unclip (with its prior)", "MindEye2 (with its prior)"], Assert.Throws<BundleComponentMissingException>(() => ModelLoader.PriorSchedulerConfig(bundle)).NeededBy);
        Assert.Equal(["Toy"], Assert.Throws<BundleComponentMissingException>(() => ModelLoader.VaeEncoder(bundle, table)).NeededBy);
        Assert.Empty(Assert.Throws<BundleComponentMissingException>(() => ModelLoader.VaeEncoder(bundle)).NeededBy); // no pipeline of the library encodes images to latents
    }

    [Fact]
    public void Rows_name_one_pipeline_each()
    {
        Assert.Throws<ArgumentException>(() => PipelineTable.Default.With(ToyRow with { Pipeline = ReconstructionPipeline.Unclip }));
        Assert.Throws<ArgumentException>(() => PipelineTable.Default.With(ToyRow with { ManifestKey = "unclip" }));
    }

    [Fact]
    public void A_missing_file_names_it_and_the_pipelines_that_need_it()
    {
        using var temp = new TempBundle();
        File.Delete(temp.PathOf("captioner/decoder.onnx"));
        var error = Assert.Throws<BundleComponentMissingException>(() => ModelBundle.Open(temp.Root, PipelineTable.Default.Naming(new ModelBundleOptions())));
        Assert.Equal("captioner/decoder.onnx", error.RelativePath);
        Assert.Equal(["CaptionImg2Img"], error.NeededBy);
        Assert.Contains("captioner/decoder.onnx", error.Message);
    }

    [Fact]
    public void A_missing_voxel_encoder_names_its_pipeline()
    {
        using var temp = new TempBundle();
        File.Delete(temp.PathOf("voxel_encoders/highlevel.onnx"));
        var error = Assert.Throws<BundleComponentMissingException>(() => ModelBundle.Open(temp.Root, PipelineTable.Default.Naming(new ModelBundleOptions { VerifyChecksums = false })));
        Assert.Equal("voxel_encoders/highlevel.onnx", error.RelativePath);
        Assert.Equal(["Unclip", "ClipGenerator", "MindEye2"], error.NeededBy);
    }

    [Fact]
    public void A_plain_diffusion_export_opens_for_its_diffusion_parts()
    {
        using var temp = new TempBundle();
        File.Delete(temp.PathOf("fmri_decoder.json"));
        Directory.Delete(temp.PathOf("voxel_encoders"), recursive: true);
        Directory.Delete(temp.PathOf("captioner"), recursive: true);
        Directory.Delete(temp.PathOf("image_encoder"), recursive: true);

        using var bundle = ModelBundle.Open(temp.Root);
        Assert.Null(bundle.Decoder);
        Assert.Empty(bundle.VoxelEncoders);

        // Every part of a text-to-image export is there (no pipeline of this library runs text-to-image alone).
        Assert.NotNull(bundle.TextEncoder);
        Assert.NotNull(bundle.Unet);
        Assert.NotNull(bundle.VaeDecoder);
        Assert.All([ModelBundle.SchedulerConfigPath, "tokenizer/vocab.json", "tokenizer/merges.txt"], f => Assert.True(bundle.HasFile(f), f));

        Assert.Contains("captioner/decoder.onnx", PipelineTable.Default.MissingFor(bundle, ReconstructionPipeline.CaptionImg2Img));
        Assert.Contains(PipelineTable.Default.MissingFor(bundle, ReconstructionPipeline.Unclip), m => m.Contains("role 'image_tokens'", StringComparison.Ordinal));
        var error = Assert.Throws<BundleComponentMissingException>(() => PipelineTable.Default.Require(bundle, ReconstructionPipeline.CaptionImg2Img));
        Assert.Contains("CaptionImg2Img", error.NeededBy);
    }

    /// <summary>The toy pipeline's class: the low-level image of the first low-level encoder, as the reconstruction.</summary>
    private sealed class LowLevelOnlyPipeline : IPipeline
    {
        public PreparedTrials Prepare(DecoderComponents components, ReadOnlySpan<float> voxels, int trials, ResolvedRequest request, CancellationToken cancellationToken)
        {
            var encoder = components.LowLevelEncoders.First();
            var latents = encoder.Encode(voxels, trials, cancellationToken).Latent!.ToArray();
            return new Prepared(encoder.Name, components.DecodeImages(latents, trials, cancellationToken), request);
        }

        private sealed class Prepared(string model, RgbImage[] images, ResolvedRequest request) : PreparedTrials(images.Length, new StageClock())
        {
            public override Reconstruction Complete(int trial, CancellationToken cancellationToken) => new()
            {
                Pipeline = request.Pipeline,
                Image = images[trial],
                LowLevelImages = [images[trial]],
                Captions = [],
                Candidates = [new ReconstructionCandidate(model, 0, images[trial], 1f, null, images[trial])],
                ChosenIndex = 0,
                UsedPrior = false,
                Timings = [],
                Request = request.ToRequest(),
            };
        }
    }
}
