using System.Text.Json;
using FmriToImage.Bundle;
using FmriToImage.Models;
using FmriToImage.Reconstructions;

namespace FmriToImage.Pipelines;

/// <summary>
/// The one table of what each pipeline needs of a bundle (in the spirit of diffusers' registered components): one
/// <see cref="PipelineRequirement"/> row per pipeline. Adding a pipeline is one <see cref="IPipeline"/> class and one
/// row; what a bundle cannot run, and which pipelines need a missing file, are read from the rows alone.
/// </summary>
/// <remarks>Immutable and thread-safe.</remarks>
internal sealed class PipelineTable
{
    /// <summary>The pipelines this library runs.</summary>
    public static PipelineTable Default { get; } = new(
    [
        new PipelineRequirement(
            ReconstructionPipeline.CaptionImg2Img,
            nameof(ReconstructionPipeline.CaptionImg2Img),
            "caption_img2img",
            new CaptionImg2ImgPipeline(),
            [BundleComponentKind.TextEncoder, BundleComponentKind.ImageEncoder, BundleComponentKind.Unet, BundleComponentKind.VaeDecoder, BundleComponentKind.CaptionerVision, BundleComponentKind.CaptionerDecoder],
            [ModelBundle.SchedulerConfigPath, BundleLayout.TokenizerVocab, BundleLayout.TokenizerMerges, BundleLayout.CaptionerVocab, BundleLayout.ImageEncoderPreprocessor, BundleLayout.CaptionerPreprocessor],
            [VoxelEncoderRole.VaeLatent],
            [new RequiredOutput(BundleComponentKind.ImageEncoder, "image_embeds")]),
        new PipelineRequirement(
            ReconstructionPipeline.Unclip,
            nameof(ReconstructionPipeline.Unclip),
            "unclip",
            new UnclipPipeline(),
            [BundleComponentKind.ImageEncoder, BundleComponentKind.Unet, BundleComponentKind.VaeDecoder],
            [ModelBundle.SchedulerConfigPath, BundleLayout.ImageEncoderPreprocessor],
            [VoxelEncoderRole.ImageTokens],
            [new RequiredOutput(BundleComponentKind.VoxelEncoder, "image_embedding", VoxelEncoderRole.ImageTokens), new RequiredOutput(BundleComponentKind.ImageEncoder, "image_embeds")],
            UsesPrior: true,
            FilledUnetInputs: [UNetAddedInputs.ClassLabels]),
        new PipelineRequirement(
            ReconstructionPipeline.ClipGenerator,
            nameof(ReconstructionPipeline.ClipGenerator),
            "clip_generator",
            new ClipGeneratorPipeline(),
            [BundleComponentKind.Generator, BundleComponentKind.ImageEncoder],
            [BundleLayout.ImageEncoderPreprocessor],
            [VoxelEncoderRole.ImageTokens],
            [new RequiredOutput(BundleComponentKind.VoxelEncoder, "image_embedding", VoxelEncoderRole.ImageTokens), new RequiredOutput(BundleComponentKind.ImageEncoder, "image_embeds")],
            UsesDiffusion: false),
        new PipelineRequirement(
            ReconstructionPipeline.MindEye2,
            nameof(ReconstructionPipeline.MindEye2),
            "mindeye2",
            new MindEye2Pipeline(),
            [BundleComponentKind.ImageEncoder, BundleComponentKind.Unet, BundleComponentKind.VaeDecoder],
            [ModelBundle.SchedulerConfigPath, BundleLayout.ImageEncoderPreprocessor],
            [VoxelEncoderRole.ImageTokens],
            [new RequiredOutput(BundleComponentKind.VoxelEncoder, "image_embedding", VoxelEncoderRole.ImageTokens), new RequiredOutput(BundleComponentKind.ImageEncoder, "image_embeds")],
            UsesPrior: true,
            FilledUnetInputs: [UNetAddedInputs.ClassLabels]),
        new PipelineRequirement(
            ReconstructionPipeline.Conditioned,
            nameof(ReconstructionPipeline.Conditioned),
            "visdec",
            new ConditionedPipeline(),
            [BundleComponentKind.Unet, BundleComponentKind.VaeDecoder],
            [ModelBundle.SchedulerConfigPath],
            [VoxelEncoderRole.ConditioningTokens],
            [],
            FilledUnetInputs: [UNetAddedInputs.TimeEmbeddingTerm],
            SamplesFromNoise: true),
    ]);

    /// <summary>A table of <paramref name="rows"/> (pipelines distinct).</summary>
    /// <exception cref="ArgumentException">Two rows name one pipeline or one manifest key.</exception>
    public PipelineTable(IReadOnlyList<PipelineRequirement> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.GroupBy(r => r.Pipeline).Any(g => g.Count() > 1) || rows.GroupBy(r => r.ManifestKey).Any(g => g.Count() > 1))
        {
            throw new ArgumentException("Each pipeline and each manifest key has one row.", nameof(rows));
        }

        Rows = rows;
    }

    /// <summary>The rows, in the order pipelines are listed.</summary>
    public IReadOnlyList<PipelineRequirement> Rows { get; }

    /// <summary>This table with <paramref name="row"/> added (e.g. a pipeline a test registers).</summary>
    public PipelineTable With(PipelineRequirement row) => new([.. Rows, row]);

    /// <summary>The row of <paramref name="pipeline"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The table has no such pipeline.</exception>
    public PipelineRequirement this[ReconstructionPipeline pipeline] =>
        Find(pipeline) ?? throw new ArgumentOutOfRangeException(nameof(pipeline), pipeline, $"not a pipeline this decoder runs; it runs {string.Join(", ", Names)}.");

    /// <summary>The row of <paramref name="pipeline"/>, or null when the table has none.</summary>
    public PipelineRequirement? Find(ReconstructionPipeline pipeline) => Rows.FirstOrDefault(r => r.Pipeline == pipeline);

    /// <summary>
    /// What <paramref name="row"/> needs that <paramref name="bundle"/> lacks, in the row's order (components, files,
    /// voxel encoder roles, graph outputs): relative paths, or "path: output 'name'", or the manifest's missing role.
    /// Empty when the bundle can run it. Reads graph metadata (opens sessions when they are lazy).
    /// </summary>
    public static IReadOnlyList<string> MissingFor(ModelBundle bundle, PipelineRequirement row)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(row);
        var missing = new List<string>();
        foreach (var kind in row.Components)
        {
            if (bundle.Get(kind) is null)
            {
                missing.Add(BundleLayout.PathOf(kind));
            }
        }

        foreach (var file in row.Files)
        {
            if (!bundle.HasFile(file))
            {
                missing.Add(file);
            }
        }

        foreach (var role in row.VoxelEncoderRoles)
        {
            if (!bundle.VoxelEncoders.Any(v => v.Entry.Role == role))
            {
                missing.Add($"{ModelBundle.DecoderManifestFileName}: a voxel encoder with role '{JsonNamingPolicy.SnakeCaseLower.ConvertName(role.ToString())}'");
            }
        }

        foreach (var output in row.Outputs)
        {
            var (component, path) = output.VoxelEncoderRole is { } role
                ? (bundle.VoxelEncoders.FirstOrDefault(v => v.Entry.Role == role)?.Component, bundle.VoxelEncoders.FirstOrDefault(v => v.Entry.Role == role)?.Entry.File)
                : (bundle.Get(output.Component), BundleLayout.PathOf(output.Component));
            if (component is not null && !component.Session.Outputs.Any(o => o.Name == output.Output))
            {
                missing.Add($"{path}: output '{output.Output}'");
            }
        }

        return missing;
    }

    /// <summary>What <paramref name="pipeline"/> needs that <paramref name="bundle"/> lacks (see <see cref="MissingFor(ModelBundle, PipelineRequirement)"/>).</summary>
    public IReadOnlyList<string> MissingFor(ModelBundle bundle, ReconstructionPipeline pipeline) => MissingFor(bundle, this[pipeline]);

    /// <summary>Throws unless <paramref name="bundle"/> has everything <paramref name="pipeline"/> needs.</summary>
    /// <exception cref="BundleComponentMissingException">Something is missing; names the first item and every pipeline that needs it.</exception>
    public void Require(ModelBundle bundle, ReconstructionPipeline pipeline)
    {
        var missing = MissingFor(bundle, pipeline);
        if (missing.Count > 0)
        {
            throw new BundleComponentMissingException(bundle.RootPath, missing[0], PipelinesNeeding(missing[0], bundle.Decoder));
        }
    }

    /// <summary>
    /// The names of the pipelines that need the file at <paramref name="relativePath"/> ('/'-separated): its component,
    /// its file, or — for a voxel encoder the manifest lists — its role. What <see cref="ModelBundleOptions.NeededBy"/>
    /// is given, so a file missing when the bundle opens names them.
    /// </summary>
    public IReadOnlyList<string> PipelinesNeeding(string relativePath, DecoderManifest? manifest)
    {
        var role = manifest?.VoxelEncoders.FirstOrDefault(e => e.File.Replace('\\', '/') == relativePath)?.Role;
        return Rows
            .Where(r => r.Components.Any(k => BundleLayout.PathOf(k) == relativePath) || r.Files.Contains(relativePath) || (role is { } needed && r.VoxelEncoderRoles.Contains(needed)))
            .Select(r => r.Name)
            .ToArray();
    }

    /// <summary>The names of every pipeline, for a bundle that can run none (no <c>fmri_decoder.json</c>).</summary>
    public IReadOnlyList<string> Names => Rows.Select(r => r.Name).ToArray();

    /// <summary>The options that make a bundle name this table's pipelines when a file is missing.</summary>
    public ModelBundleOptions Naming(ModelBundleOptions options) => options with { NeededBy = PipelinesNeeding };
}
