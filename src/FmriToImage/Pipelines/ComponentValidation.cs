using FmriToImage.Bundle;
using FmriToImage.Diffusion;
using FmriToImage.Models;
using FmriToImage.Onnx;

namespace FmriToImage.Pipelines;

/// <summary>
/// The load-time checks of a decoder's components, beyond each graph's own contract (the bundle's): both scheduler
/// configs, the manifest's pipeline defaults against them, the UNet and prior graphs against the latent size and token
/// width, the embedding outputs the pipelines compare, and the captioner's vision input against the decoded images.
/// Each adds problems to one list, so every problem is reported at once; what a bundle lacks is the
/// <see cref="PipelineTable"/>'s report, not a check here.
/// </summary>
internal static class ComponentValidation
{
    /// <summary>
    /// Reads and checks the UNet's scheduler config (the bundle layer knows no schedulers, so its values are checked
    /// here, at load): the scheduler its <c>_class_name</c> names is built once; a missing or unknown class, a malformed
    /// file, an unsupported option and out-of-range values become problems naming the file; a missing config gives
    /// null (the table then lists it as missing).
    /// </summary>
    public static BundleScheduler? UnetScheduler(ModelBundle bundle, List<string> problems)
    {
        const string path = ModelBundle.SchedulerConfigPath;
        if (!bundle.HasFile(path))
        {
            return null;
        }

        try
        {
            return new BundleScheduler(bundle.ReadJson(path).GetRawText());
        }
        catch (Exception e) when (e is SchedulerConfigException or NotSupportedException or ArgumentException)
        {
            problems.Add($"{path}: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// The per-pipeline scheduler overrides (<c>fmri_decoder.json</c> → <c>pipelines.&lt;key&gt;.scheduler</c>, an
    /// object of scheduler-config keys): each is the bundle's <c>scheduler/scheduler_config.json</c> with the override's
    /// keys replaced, built once here, keyed by the pipeline's manifest key. A malformed override, an unknown class or an
    /// unsupported value becomes a problem naming the manifest key.
    /// </summary>
    public static IReadOnlyDictionary<string, BundleScheduler> PipelineSchedulers(ModelBundle bundle, PipelineTable table, List<string> problems)
    {
        const string path = ModelBundle.SchedulerConfigPath;
        var schedulers = new Dictionary<string, BundleScheduler>();
        if (!bundle.HasFile(path) || bundle.Decoder is not { } manifest)
        {
            return schedulers;
        }

        foreach (var row in table.Rows)
        {
            if (!manifest.Pipelines.TryGetValue(row.ManifestKey, out var defaults) || defaults.Scheduler is not { } overrides)
            {
                continue;
            }

            var owner = $"{ModelBundle.DecoderManifestFileName}: pipelines.{row.ManifestKey}.scheduler";
            if (overrides.ValueKind != System.Text.Json.JsonValueKind.Object)
            {
                problems.Add($"{owner} is a {overrides.ValueKind}; it must be an object of scheduler config keys replacing those of {path} (e.g. {{\"_class_name\": \"PNDMScheduler\"}}).");
                continue;
            }

            var merged = System.Text.Json.Nodes.JsonNode.Parse(bundle.ReadJson(path).GetRawText(), documentOptions: Configuration.ConfigJson.DocumentOptions)!.AsObject();
            foreach (var key in overrides.EnumerateObject())
            {
                merged[key.Name] = System.Text.Json.Nodes.JsonNode.Parse(key.Value.GetRawText(), documentOptions: Configuration.ConfigJson.DocumentOptions);
            }

            try
            {
                schedulers[row.ManifestKey] = new BundleScheduler(merged.ToJsonString());
            }
            catch (Exception e) when (e is SchedulerConfigException or NotSupportedException or ArgumentException)
            {
                problems.Add($"{owner} (over {path}): {e.Message}");
            }
        }

        return schedulers;
    }

    /// <summary>
    /// Reads and checks the diffusion prior's scheduler config, which is always sampled with DDIM whatever its
    /// <c>_class_name</c> says (MindEye ships a <c>DDPMScheduler</c> config; DDIM reads its schedule as diffusers'
    /// <c>from_config</c> does): a malformed file, an unsupported schedule and out-of-range values become problems; a
    /// missing file names the pipelines of <paramref name="table"/> that use a prior.
    /// </summary>
    public static DdimSchedulerConfig? PriorScheduler(ModelBundle bundle, PipelineTable table, List<string> problems)
    {
        try
        {
            var prior = ModelLoader.PriorSchedulerConfig(bundle, table);
            _ = new DdimScheduler(prior);
            return prior;
        }
        catch (Exception e) when (e is SchedulerConfigException or NotSupportedException or ArgumentException)
        {
            problems.Add($"{ModelBundle.PriorSchedulerConfigPath}: {e.Message}");
            return null;
        }
    }

    /// <summary>
    /// Checks the UNet and prior graphs' contracts from their sessions' metadata (no wrapper is built); returns the
    /// UNet's token width (the graph's when it fixes one, else the config's) for the prior, or null.
    /// </summary>
    public static int? CheckDenoisers(DecoderComponents components, List<string> problems)
    {
        int? unetTokenWidth = null;
        if (components.Bundle.Unet is not null && components.VaeDecoder is not null)
        {
            try
            {
                unetTokenWidth = UNet.CheckContract(components.Bundle.Unet.Session, components.LatentChannels, components.LatentHeight, components.LatentWidth, components.TokenWidth, components.Bundle.Unet.Config);
            }
            catch (TensorContractException e)
            {
                problems.Add(Prefixed("unet/model.onnx", e.Message));
                return null; // the prior's width check needs a usable UNet
            }
        }

        if (components.PriorSchedulerConfig is not null)
        {
            try
            {
                DiffusionPrior.CheckContract(components.Bundle.Prior!.Session, unetTokenWidth ?? components.TokenWidth);
            }
            catch (TensorContractException e)
            {
                problems.Add(Prefixed("prior/model.onnx", e.Message));
            }
        }

        return unetTokenWidth;
    }

    /// <summary>Checks the manifest's defaults of every pipeline of the table against the schedulers they run on.</summary>
    public static void CheckDefaults(DecoderComponents components, List<string> problems)
    {
        var manifest = ModelBundle.DecoderManifestFileName;
        foreach (var row in components.Table.Rows)
        {
            if (!row.UsesDiffusion || components.SchedulerFor(row) is not { } scheduler || components.Bundle.Decoder?.Pipelines.ContainsKey(row.ManifestKey) != true)
            {
                continue;
            }

            var defaults = components.DefaultsFor(row);
            var settings = DiffusionSettings.Check(scheduler, components.SchedulerSource(row), defaults.Steps, defaults.Strength, defaults.Guidance, defaults.Samples, eta: 0);
            foreach (var problem in settings)
            {
                problems.Add(DiffusionSettings.Describe(problem, $"{manifest}: pipelines.{row.ManifestKey}."));
            }

            if (settings.Count == 0)
            {
                CheckDefaultTimesteps(components, scheduler, defaults.Steps, $"{manifest}: pipelines.{row.ManifestKey}.steps {defaults.Steps}", problems);
            }

            components.Conditions.CheckDefaults(defaults, $"{manifest}: pipelines.{row.ManifestKey}.", problems);
            row.Runner.CheckOwnDefaults(scheduler, components.SchedulerSource(row), defaults, $"{manifest}: pipelines.{row.ManifestKey}.", problems);
        }

        foreach (var row in components.Table.Rows.Where(r => r.UsesPrior))
        {
            var defaults = components.DefaultsFor(row);
            foreach (var problem in DiffusionSettings.CheckPrior(components.PriorSchedulerConfig, ModelBundle.PriorSchedulerConfigPath, defaults.PriorSteps, defaults.PriorEta))
            {
                problems.Add(DiffusionSettings.Describe(problem, $"{manifest}: pipelines.{row.ManifestKey}."));
            }
        }
    }

    /// <summary>
    /// A default run's timesteps against the UNet's <c>timestep</c> type: an integer-timestep graph cannot take the
    /// fractional timesteps of, e.g., Euler in linspace spacing, so such defaults fail at load (a request's own step count
    /// is checked again before its loop).
    /// </summary>
    private static void CheckDefaultTimesteps(DecoderComponents components, BundleScheduler scheduler, int steps, string owner, List<string> problems)
    {
        if (components.Bundle.Unet is not { } unet)
        {
            return;
        }

        DenoiserGraph graph;
        try
        {
            graph = new DenoiserGraph(unet.Session, "UNet");
        }
        catch (TensorContractException)
        {
            return; // a missing input is CheckDenoisers' problem
        }

        using (graph)
        {
            var run = scheduler.Create();
            run.SetTimesteps(steps);
            try
            {
                graph.CheckTimesteps(run, 0);
            }
            catch (TensorContractException e)
            {
                problems.Add($"{owner} with {ModelBundle.SchedulerConfigPath}: {e.Message}");
            }
        }
    }

    /// <summary>
    /// The high-level voxel encoder's <c>image_embedding</c> and the image encoder's <c>image_embeds</c> are compared in
    /// one space (unCLIP's best-of-N); when both graphs fix their width E, the widths must agree.
    /// </summary>
    public static void CheckEmbeddingWidths(DecoderComponents components, List<string> problems)
    {
        var imageEmbeds = FixedWidth(components.Bundle.ImageEncoder?.Session, "image_embeds");
        foreach (var encoder in components.Bundle.VoxelEncoders.Where(v => v.Entry.Role == VoxelEncoderRole.ImageTokens))
        {
            var brain = FixedWidth(encoder.Component.Session, "image_embedding");
            if (brain is not null && imageEmbeds is not null && brain != imageEmbeds)
            {
                problems.Add($"{encoder.Entry.File}: output 'image_embedding' has width {brain} but image_encoder/model.onnx output 'image_embeds' has {imageEmbeds}; they must live in one space to compare.");
            }

            if (brain is not null && components.Conditions.Inputs.ClassLabelsWidth is { } labels && brain * 2 != labels)
            {
                problems.Add($"{encoder.Entry.File}: output 'image_embedding' has width {brain} but unet/model.onnx input 'class_labels' has {labels} values (expected twice the embedding: embedding ‖ noise-level embedding).");
            }
        }
    }

    /// <summary>
    /// The captioner's vision input against the images it captions — the VAE decoder's (low-level images, unCLIP
    /// images), the latent size times the VAE's downsampling factor: when its graph fixes the <c>pixel_values</c> height
    /// or width, the captioner's preprocessing (<c>captioner/preprocessor_config.json</c>: resize, crop) must give those
    /// images that size. A config with <c>do_resize</c> false passes the images at their own size, so a vision encoder
    /// exported for another size failed at the first caption; the problem names the file and both sizes.
    /// </summary>
    public static void CheckCaptionerInput(DecoderComponents components, List<string> problems)
    {
        if (components.Captioner is not { } captioner || components.VaeDecoder is not { } vae || components.Bundle.CaptionerVision is not { } vision
            || vision.Session.Inputs.FirstOrDefault(i => i.Name == "pixel_values") is not { Rank: 4 } input)
        {
            return;
        }

        var (imageWidth, imageHeight) = (components.LatentWidth * vae.DownsamplingFactor, components.LatentHeight * vae.DownsamplingFactor);
        var (width, height) = captioner.Preprocessor.OutputSize(imageWidth, imageHeight);
        if ((input.Dimensions[2] > 0 && input.Dimensions[2] != height) || (input.Dimensions[3] > 0 && input.Dimensions[3] != width))
        {
            var config = captioner.Preprocessor.Config;
            problems.Add($"{BundleLayout.CaptionerPreprocessor}: the decoder's {imageWidth}×{imageHeight} images come out {width}×{height} (width × height; do_resize {(config.DoResize ? "true" : "false")}, "
                + $"do_center_crop {(config.DoCenterCrop ? "true" : "false")}), but {vision.RelativePath} takes 'pixel_values' {input.ShapeText}; resize (do_resize, size) or crop to the graph's size, or export the vision encoder for these images.");
        }
    }

    /// <summary>The latent size: what a low-level voxel encoder's <c>latent</c> fixes, else the VAE's <c>sample_size</c> over its downsampling factor.</summary>
    /// <exception cref="BundleContractException">Neither gives it.</exception>
    public static (int Height, int Width) LatentSize(ModelBundle bundle, VaeDecoder vae, IReadOnlyList<VoxelEncoder> encoders)
    {
        foreach (var encoder in encoders.Where(e => e.Entry.Role == VoxelEncoderRole.VaeLatent))
        {
            var latent = bundle.VoxelEncoders.First(v => v.Entry.Name == encoder.Name).Component.Session.Outputs.First(o => o.Name == "latent");
            if (latent.Rank == 4 && latent.Dimensions[2] > 0 && latent.Dimensions[3] > 0)
            {
                return ((int)latent.Dimensions[2], (int)latent.Dimensions[3]);
            }
        }

        var size = bundle.VaeDecoder!.ConfigNumber("sample_size")
            ?? throw new BundleContractException(bundle.RootPath, ["vae_decoder/config.json: no 'sample_size', and no low-level voxel encoder fixes the latent size."]);
        return ((int)size / vae.DownsamplingFactor, (int)size / vae.DownsamplingFactor);
    }

    /// <summary>The fixed last dimension of a rank-2 output, or null when absent or symbolic.</summary>
    public static long? FixedWidth(GraphSession? session, string output) =>
        session?.Outputs.FirstOrDefault(o => o.Name == output) is { Rank: 2 } node && node.Dimensions[1] > 0 ? node.Dimensions[1] : null;

    /// <summary>
    /// The bundle's one-shot generator (<c>generator/model.onnx</c>), its contract checked (<see cref="ImageGenerator.CheckContract"/>:
    /// inputs <c>clip_embedding</c> [batch, E] and <c>z</c> [batch, Z], output <c>image</c> [batch, 3, H, W]) and its
    /// fixed E against the brain's <c>image_embedding</c>; null when the bundle has none or it breaks its contract
    /// (the problem, naming the input, is added).
    /// </summary>
    public static ImageGenerator? Generator(DecoderComponents components, List<string> problems)
    {
        var path = BundleLayout.PathOf(BundleComponentKind.Generator);
        if (components.Bundle.Get(BundleComponentKind.Generator) is not { } component)
        {
            return null;
        }

        try
        {
            var generator = new ImageGenerator(component.Session);
            if (generator.EmbeddingWidth is { } width && components.BrainEmbeddingWidth is { } brain && width != brain)
            {
                problems.Add($"{path}: input '{ImageGenerator.EmbeddingInput}' takes {width} values but the voxel encoder's 'image_embedding' has {brain}; the generator must take the brain's CLIP embedding.");
                return null;
            }

            return generator;
        }
        catch (TensorContractException e)
        {
            problems.Add(Prefixed(path, e.Message));
            return null;
        }
    }

    private static string Prefixed(string file, string message) =>
        message.StartsWith(file, StringComparison.Ordinal) ? message : $"{file}: {message}";
}
