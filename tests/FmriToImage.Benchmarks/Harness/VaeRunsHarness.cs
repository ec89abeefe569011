using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using FmriToImage.Imaging;
using FmriToImage.Models;
using FmriToImage.Onnx;

namespace FmriToImage.Benchmarks.Harness;

/// <summary>
/// VAE decoding of a batch in runs (docs/performance.md, "VAE decoding in runs"): <c>--images</c> seeded random
/// latents of <c>--latent</c>² decoded by one VAE decoder (<c>--vae</c>, a bundle's vae_decoder folder) with
/// <c>--pixels-per-run</c> output pixels per run (the library's default: one 512² image; 0 = the whole batch in one
/// run), <c>--repeat</c> times; prints each decode's seconds and the process's peak resident memory. Run each setting in
/// its own process (the peak is the process's), alternating settings, to compare.
/// </summary>
internal static class VaeRunsHarness
{
    public static int Run(HarnessArguments args)
    {
        var folder = args.Text("vae", "artifacts/scale/caption/vae_decoder");
        var images = args.Integer("images", 8);
        var latent = args.Integer("latent", 64);
        var pixelsPerRun = args.Integer("pixels-per-run", (int)VaeDecoder.DefaultPixelsPerRun);
        var repeat = args.Integer("repeat", 2);
        var threads = args.Integer("threads", 2);
        args.RejectUnknown();

        // The decoder's config.json (diffusers' AutoencoderKL): scaling factor, latent channels, 2^(levels − 1) pixels per latent.
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "config.json")));
        var scaling = config.RootElement.GetProperty("scaling_factor").GetDouble();
        var channels = config.RootElement.GetProperty("latent_channels").GetInt32();
        var factor = 1 << (config.RootElement.GetProperty("block_out_channels").GetArrayLength() - 1);
        using var session = GraphSession.Open(Path.Combine(folder, "model.onnx"), new SessionSettings { IntraOpThreads = threads });
        var decoder = new VaeDecoder(session, scaling, channels, factor, pixelsPerRun > 0 ? pixelsPerRun : long.MaxValue);
        var afterLoad = ProcessMemory.Read();
        var random = new Random(5);
        var latents = new float[images * channels * latent * latent];
        for (var i = 0; i < latents.Length; i++)
        {
            latents[i] = (float)((random.NextDouble() * 2) - 1);
        }

        var times = new List<double>();
        for (var r = 0; r < repeat; r++)
        {
            var clock = Stopwatch.StartNew();
            _ = decoder.DecodeImages(latents, images, latent, latent, ImageNormalization.SignedUnit);
            times.Add(clock.Elapsed.TotalSeconds);
        }

        var end = ProcessMemory.Read();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"vae runs: {images} images of {latent * factor}², {decoder.ImagesPerRun(latent, latent)} per run; decode s {string.Join(" ", times.Select(t => t.ToString("F2", CultureInfo.InvariantCulture)))}; resident after load {afterLoad.Rss / 1e9:F2} GB, peak {end.Peak / 1e9:F2} GB"));
        return 0;
    }
}
