using FmriToImage.Bundle;
using FmriToImage.Tests.Bundle;

namespace FmriToImage.Tests.Pipelines;

/// <summary>
/// The ClipGenerator pipeline on the demo bundle (models/demo/generator: models/forge/zoo/generator.py) and its
/// generator contract, checked at Load with the broken graphs of tests/fixtures/make_generator_variants.py.
/// </summary>
public sealed class ClipGeneratorTests(DemoWorld world) : IClassFixture<DemoWorld>
{
    private static readonly ReconstructionRequest Request = new() { Pipeline = ReconstructionPipeline.ClipGenerator, Seed = 11 };

    [Fact]
    public void The_same_seed_gives_the_same_images_alone_or_in_a_batch_and_another_seed_other_draws()
    {
        Assert.Contains(ReconstructionPipeline.ClipGenerator, world.Decoder.AvailablePipelines);
        var voxels = world.TestSet.Voxels.Row(2);
        var first = world.Decoder.Reconstruct(voxels, Request);
        var again = world.Decoder.Reconstruct(voxels, Request);
        Assert.Equal(8, first.Candidates.Count); // models/demo/fmri_decoder.json: pipelines.clip_generator.samples
        Assert.Equal(first.ChosenIndex, again.ChosenIndex);
        for (var k = 0; k < first.Candidates.Count; k++)
        {
            Assert.Equal(first.Candidates[k].Image.PixelArray, again.Candidates[k].Image.PixelArray);
        }

        var batch = world.Decoder.ReconstructAllAsync(world.TestSet.Voxels.SelectRows([0, 1, 2]), Request).ToBlockingEnumerable().ToArray();
        Assert.Equal(first.Image.PixelArray, batch[2].Image.PixelArray);

        var other = world.Decoder.Reconstruct(voxels, Request with { Seed = 12 });
        Assert.NotEqual(first.Candidates[0].Image.PixelArray, other.Candidates[0].Image.PixelArray);

        // The draws differ from each other (z matters), the chosen one has the highest cosine, and no diffusion ran.
        Assert.NotEqual(first.Candidates[0].Image.PixelArray, first.Candidates[1].Image.PixelArray);
        Assert.Equal(first.Candidates.Max(c => c.Score), first.Candidates[first.ChosenIndex].Score);
        Assert.Equal(["voxel encoders", "generator", "selection"], first.Timings.Select(t => t.Key));
        Assert.Null(first.Request.Steps);
        Assert.Equal(8, first.Request.Samples);
        Assert.Equal(11UL, first.Request.Seed);
    }

    [Fact]
    public void The_noise_is_the_documented_stream_of_the_seed()
    {
        // Draw k of a trial is numbers k·Z … (k + 1)·Z − 1 of GaussianNoiseSource(seed): with K = 1 the one draw is the
        // stream's first Z numbers, so a K = 1 request equals draw 0 of a K = 8 request with the same seed.
        var voxels = world.TestSet.Voxels.Row(0);
        var eight = world.Decoder.Reconstruct(voxels, Request);
        var one = world.Decoder.Reconstruct(voxels, Request with { Samples = 1 });
        Assert.Equal(eight.Candidates[0].Image.PixelArray, one.Image.PixelArray);
        Assert.Equal(11UL, Pipelines_noise_seed(11));
    }

    [Fact]
    public void Diffusion_settings_are_refused_before_any_network_runs()
    {
        var voxels = world.TestSet.Voxels.Row(0).ToArray();
        var steps = Assert.Throws<ArgumentException>(() => world.Decoder.Reconstruct(voxels, Request with { Steps = 5, Guidance = 2 }));
        Assert.Contains("ReconstructionRequest.Steps, ReconstructionRequest.Guidance do not apply to ClipGenerator", steps.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => world.Decoder.Reconstruct(voxels, Request with { Samples = 0 }));
    }

    [Theory]
    [InlineData("no_z", "'z'")]
    [InlineData("dynamic_z", "input 'z'")]
    [InlineData("int_z", "input 'z'")]
    [InlineData("wrong_width", "input 'clip_embedding' takes 32 values")]
    [InlineData("no_image", "'image'")]
    public void A_generator_that_breaks_its_contract_is_refused_at_load_naming_the_input(string variant, string named)
    {
        using var copy = new TempBundle(TestFiles.RepoPath("models", "demo"));
        File.Copy(TestFiles.Fixture("bundle", "generator_variants", variant + ".onnx"), copy.PathOf("generator/model.onnx"), overwrite: true);
        copy.Rehash("generator/model.onnx");
        var error = Assert.Throws<BundleContractException>(() => BrainDecoder.Load(copy.Root).Dispose());
        Assert.Contains("generator/model.onnx", error.Message);
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void A_bundle_without_a_generator_names_it_for_clip_generator_and_one_that_keeps_the_contract_loads()
    {
        using (var copy = new TempBundle(TestFiles.RepoPath("models", "demo")))
        {
            Directory.Delete(copy.PathOf("generator"), recursive: true);
            copy.EditManifest(m => m["files"]!.AsObject().Remove("generator/model.onnx"));
            copy.EditManifest(m => m["files"]!.AsObject().Remove("generator/config.json"));
            using var decoder = BrainDecoder.Load(copy.Root);
            Assert.DoesNotContain(ReconstructionPipeline.ClipGenerator, decoder.AvailablePipelines);
            var missing = Assert.Throws<BundleComponentMissingException>(() => decoder.Reconstruct(world.TestSet.Voxels.Row(0), Request));
            Assert.Equal("generator/model.onnx", missing.RelativePath);
            Assert.Contains("ClipGenerator", missing.NeededBy);
        }

        using (var copy = new TempBundle(TestFiles.RepoPath("models", "demo")))
        {
            File.Copy(TestFiles.Fixture("bundle", "generator_variants", "valid.onnx"), copy.PathOf("generator/model.onnx"), overwrite: true);
            copy.Rehash("generator/model.onnx");
            using var decoder = BrainDecoder.Load(copy.Root);
            Assert.Contains(ReconstructionPipeline.ClipGenerator, decoder.AvailablePipelines);
        }
    }

    private static ulong Pipelines_noise_seed(ulong seed) => FmriToImage.Pipelines.ClipGeneratorPipeline.NoiseSeed(seed);
}
