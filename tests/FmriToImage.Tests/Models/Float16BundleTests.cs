using FmriToImage.Imaging;
using FmriToImage.Onnx;

namespace FmriToImage.Tests.Models;

/// <summary>
/// A bundle whose graphs take and return float16 (tests/fixtures/make_fp16_bundle.py: the fixture bundle with float16
/// inputs, outputs and weights) loads, and reconstructs within a stated tolerance of the float32 bundle: the library
/// converts at each graph's edge and keeps its own state (latents, scheduler, guidance) in float32.
/// </summary>
public sealed class Float16BundleTests : IDisposable
{
    /// <summary>
    /// Mean |difference| per 8-bit sample, fp16 bundle against fp32 bundle. The weights are rounded to float16 (relative
    /// error ≤ 2⁻¹¹) and every graph boundary rounds once more; measured on these trials: 0 — the rounding stays below
    /// half a grey level on these small images.
    /// </summary>
    private const double MeanGreyTolerance = 1.0;

    /// <summary>Largest |difference| of one network's float outputs, fp16 against fp32 (measured 1.3e-4).</summary>
    private const double FloatTolerance = 1e-3;

    private readonly BrainDecoder _fp32 = BrainDecoder.Load(TestFiles.Fixture("bundle", "tiny"));
    private readonly BrainDecoder _fp16 = BrainDecoder.Load(TestFiles.Fixture("bundle", "tiny_fp16"));

    public void Dispose()
    {
        _fp32.Dispose();
        _fp16.Dispose();
    }

    [Fact]
    public void The_graphs_declare_float16_and_the_bundle_loads()
    {
        Assert.Equal(TensorElementType.Float16, _fp16.Bundle.Unet!.Session.Inputs.Single(i => i.Name == "sample").ElementType);
        Assert.Equal(TensorElementType.Float16, _fp16.Bundle.VaeDecoder!.Session.Outputs.Single(o => o.Name == "sample").ElementType);
        Assert.Equal(TensorElementType.Float16, _fp16.Bundle.VoxelEncoders[0].Component.OutputMetadata["latent"].ElementDataType);
    }

    [Theory]
    [InlineData(ReconstructionPipeline.Unclip, 1)]
    [InlineData(ReconstructionPipeline.Unclip, 2)]
    [InlineData(ReconstructionPipeline.CaptionImg2Img, 1)]
    public void Reconstructs_within_tolerance_of_the_float32_bundle(ReconstructionPipeline pipeline, int trial)
    {
        var voxels = Enumerable.Range(0, 100).Select(i => MathF.Sin((i * 0.37f) + trial)).ToArray();
        var request = new ReconstructionRequest { Pipeline = pipeline, Seed = 3 };
        var full = _fp32.Reconstruct(voxels, request);
        var half = _fp16.Reconstruct(voxels, request);

        Assert.Equal(full.Captions, half.Captions);
        Assert.Equal(full.ChosenIndex, half.ChosenIndex);
        Assert.InRange(MeanGreyDifference(full.Image, half.Image), 0, MeanGreyTolerance);
        Assert.InRange(MeanGreyDifference(full.LowLevelImages[0], half.LowLevelImages[0]), 0, MeanGreyTolerance);

        // Same seed, same bundle: bit-identical, float16 graphs included.
        Assert.Equal(half.Image.PixelArray, _fp16.Reconstruct(voxels, request).Image.PixelArray);
    }

    [Fact]
    public void A_float16_graph_run_directly_takes_float32_values_and_returns_float32()
    {
        var session = _fp16.Bundle.VaeDecoder!.Session;
        using var latent = AlignedTensor.Copy<float>(Enumerable.Range(0, 64).Select(i => MathF.Cos(i)).ToArray(), [1, 4, 4, 4]);
        using var outputs = session.Run([new("latent_sample", latent)], ["sample"]);
        Assert.Equal(TensorElementType.Float, outputs[0].ElementType);
        Assert.Equal([1L, 3, 32, 32], outputs[0].Shape);
    }

    [Fact]
    public void A_float16_network_differs_from_its_float32_original_only_by_float16_rounding()
    {
        using var latent = AlignedTensor.Copy<float>(Enumerable.Range(0, 64).Select(i => MathF.Cos(i)).ToArray(), [1, 4, 4, 4]);
        using var full = _fp32.Bundle.VaeDecoder!.Session.Run([new("latent_sample", latent)], ["sample"]);
        using var half = _fp16.Bundle.VaeDecoder!.Session.Run([new("latent_sample", latent)], ["sample"]);
        var differences = full[0].ToArray<float>().Zip(half[0].ToArray<float>(), (a, b) => Math.Abs(a - b)).ToArray();

        // Measured: max 1.3e-4 on outputs in [-0.19, 0.39] — float16 rounding of weights, input and output; not zero,
        // so the float16 graph really ran.
        Assert.InRange(differences.Max(), 1e-6, FloatTolerance);
    }

    private static double MeanGreyDifference(RgbImage a, RgbImage b)
    {
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        return a.PixelArray.Zip(b.PixelArray, (x, y) => Math.Abs(x - y)).Average();
    }
}
