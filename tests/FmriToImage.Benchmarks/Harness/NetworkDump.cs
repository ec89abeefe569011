using System.Numerics.Tensors;
using System.Text.Json;
using FmriToImage.Bundle;
using FmriToImage.Data.Npy;
using FmriToImage.Diffusion;
using FmriToImage.Imaging;
using FmriToImage.Models;
using FmriToImage.Pipelines;

namespace FmriToImage.Benchmarks.Harness;

/// <summary>
/// Each network of the caption → img2img pipeline run once through the library's wrapper on trial 0's data, inputs and
/// outputs written as .npy, so tests/perf/side_by_side_torch.py can feed the same inputs to the PyTorch modules and
/// compare network by network (not only the end result).
/// </summary>
internal static class NetworkDump
{
    /// <summary>The UNet timestep of the single-step check (any training timestep would do).</summary>
    private const int CheckTimestep = 501;

    public static void Write(ModelBundle bundle, ReadOnlySpan<float> voxels, string folder)
    {
        Directory.CreateDirectory(folder);
        void Save(string name, Tensor<float> tensor) => NpyFile.Write(Path.Combine(folder, name + ".npy"), tensor);
        void SaveValues(string name, ShapedValues values) => Save(name, Tensor.Create(values.ToArray(), values.Lengths));

        NpyFile.Write<float>(Path.Combine(folder, "voxels.npy"), voxels, [voxels.Length]);
        var lowLevel = ModelLoader.VoxelEncoders(bundle).Where(e => e.Entry.Role == VoxelEncoderRole.VaeLatent).ToArray();
        var latents = new ShapedValues[lowLevel.Length];
        for (var m = 0; m < lowLevel.Length; m++)
        {
            latents[m] = lowLevel[m].Encode(voxels, 1).Latent!;
        }

        var models = latents.Length;
        var (channels, height, width) = ((int)latents[0].Lengths[1], (int)latents[0].Lengths[2], (int)latents[0].Lengths[3]);
        var latentLength = channels * height * width;
        var scaled = new float[models * latentLength];
        for (var m = 0; m < models; m++)
        {
            latents[m].FlattenTo(scaled.AsSpan(m * latentLength, latentLength));
        }

        NpyFile.Write<float>(Path.Combine(folder, "lowlevel_latents.npy"), scaled, [models, channels, height, width]);
        File.WriteAllText(Path.Combine(folder, "lowlevel_encoders.json"), JsonSerializer.Serialize(lowLevel.Select(e => e.Name)));

        var vae = ModelLoader.VaeDecoder(bundle);
        var decoded = vae.Decode(scaled, models, height, width);
        Save("vae_decoded", decoded);
        var images = ImageTensor.FromNchw(decoded, ImageNormalization.SignedUnit);
        WriteImages(Path.Combine(folder, "lowlevel_images.npy"), images);

        var captioner = ModelLoader.Captioner(bundle);
        var ids = captioner.CaptionIds(images);
        var captions = captioner.Caption(images);
        File.WriteAllText(Path.Combine(folder, "caption_ids.json"), JsonSerializer.Serialize(ids));
        File.WriteAllText(Path.Combine(folder, "captions.json"), JsonSerializer.Serialize(captions));

        var text = ModelLoader.TextEncoder(bundle);
        var tokens = new long[(models + 1) * text.SequenceLength];
        for (var m = 0; m <= models; m++)
        {
            text.Tokenizer.EncodeInto(m < models ? captions[m] : string.Empty, tokens.AsSpan(m * text.SequenceLength, text.SequenceLength));
        }

        NpyFile.Write<long>(Path.Combine(folder, "text_ids.npy"), tokens, [models + 1, text.SequenceLength]);
        var conditional = text.Encode(captions);
        var unconditional = text.Encode([string.Empty]);
        SaveValues("text_hidden", conditional.HiddenStates);
        SaveValues("empty_hidden", unconditional.HiddenStates);

        // One guided UNet call as the sampler makes it: the low-level latents twice, unconditional half first.
        var perText = (int)(conditional.HiddenStates.FlattenedLength / models);
        var context = new float[2 * models * perText];
        for (var m = 0; m < models; m++)
        {
            unconditional.HiddenStates.FlattenTo(context.AsSpan(m * perText, perText));
        }

        conditional.HiddenStates.FlattenTo(context.AsSpan(models * perText));
        var sample = new float[2 * scaled.Length];
        scaled.CopyTo(sample, 0);
        scaled.CopyTo(sample, scaled.Length);
        var predicted = new float[sample.Length];
        var tokenWidth = (int)conditional.HiddenStates.Lengths[2];
        using (var unet = new UNet(bundle.Unet!.Session, channels, height, width, tokenWidth))
        {
            unet.Denoise(sample, 2 * models, CheckTimestep, context, predicted, CancellationToken.None);
        }

        NpyFile.Write<float>(Path.Combine(folder, "unet_sample.npy"), sample, [2 * models, channels, height, width]);
        NpyFile.Write<float>(Path.Combine(folder, "unet_context.npy"), context, [2 * models, perText / tokenWidth, tokenWidth]);
        NpyFile.Write<int>(Path.Combine(folder, "unet_timestep.npy"), [CheckTimestep], []);
        NpyFile.Write<float>(Path.Combine(folder, "unet_out.npy"), predicted, [2 * models, channels, height, width]);

        SaveValues("image_embeds", ModelLoader.ImageEncoder(bundle).Encode(images).Embeddings!);

        // The pipeline's start noise: seed 0 (ReconstructionRequest's default) over every candidate's latent.
        var samples = bundle.Decoder!.Pipelines.TryGetValue("caption_img2img", out var defaults) ? defaults.Samples : 1;
        var noise = new float[models * samples * latentLength];
        new GaussianNoiseSource(0).Fill(noise);
        NpyFile.Write<float>(Path.Combine(folder, "..", "noise.npy"), noise, [models * samples, channels, height, width]);
    }

    private static void WriteImages(string path, IReadOnlyList<RgbImage> images)
    {
        var pixels = images[0].Width * images[0].Height * 3;
        var bytes = new byte[images.Count * pixels];
        for (var i = 0; i < images.Count; i++)
        {
            images[i].Pixels.CopyTo(bytes.AsSpan(i * pixels));
        }

        NpyFile.Write<byte>(path, bytes, [images.Count, images[0].Height, images[0].Width, 3]);
    }
}
