using System.Diagnostics;
using System.Globalization;
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

        using var session = GraphSession.Open(Path.Combine(folder, "model.onnx"), new SessionSettings { IntraOpThreads = threads });
        var decoder = new VaeDecoder(session, 0.18215, 4, 8, pixelsPerRun > 0 ? pixelsPerRun : long.MaxValue);
        var afterLoad = ProcessMemory.Read();
        var random = new Random(5);
        var latents = new float[images * 4 * latent * latent];
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
            $"vae runs: {images} images of {latent * 8}², {decoder.ImagesPerRun(latent, latent)} per run; decode s {string.Join(" ", times.Select(t => t.ToString("F2", CultureInfo.InvariantCulture)))}; resident after load {afterLoad.Rss / 1e9:F2} GB, peak {end.Peak / 1e9:F2} GB"));
        return 0;
    }
}
