using FmriToImage.Bundle;
using FmriToImage.Reconstructions;

namespace FmriToImage.Pipelines;

/// <summary>
/// One row of the <see cref="PipelineTable"/>: a pipeline, the class that runs it, and everything it needs of a bundle
/// — components, files, voxel encoder roles (manifest keys) and graph outputs. What a bundle cannot run is reported from
/// these rows alone.
/// </summary>
/// <param name="Pipeline">The pipeline a <see cref="ReconstructionRequest"/> names.</param>
/// <param name="Name">Its name in messages and <see cref="BundleComponentMissingException.NeededBy"/> (e.g. "CaptionImg2Img").</param>
/// <param name="ManifestKey">Its key under <c>fmri_decoder.json</c> → <c>pipelines</c> (its defaults), e.g. "caption_img2img".</param>
/// <param name="Runner">The class that runs it.</param>
/// <param name="Components">The standard components it runs (their graph files must exist).</param>
/// <param name="Files">Other files it reads (scheduler, tokenizer, preprocessing), relative to the bundle folder.</param>
/// <param name="VoxelEncoderRoles">The voxel encoder roles the manifest must list at least one encoder of.</param>
/// <param name="Outputs">Graph outputs it reads that a graph may lack.</param>
/// <param name="UsesPrior">Whether it runs the bundle's diffusion prior when the bundle has one (<see cref="ReconstructionRequest.UsePrior"/> applies).</param>
/// <param name="UsesDiffusion">Whether it runs the UNet's denoising loop (steps, strength and guidance apply); false for one-shot generators, which refuse those settings.</param>
/// <param name="FilledUnetInputs">The UNet inputs beyond sample, timestep, context and SDXL's text_time pair that it can
/// fill (<see cref="Models.UNetAddedInputs.ClassLabels"/> from the brain's image embedding,
/// <see cref="Models.UNetAddedInputs.TimeEmbeddingTerm"/> from its conditioning encoder); a UNet taking another makes it
/// unavailable instead of failing at its first step.</param>
/// <param name="SamplesFromNoise">Whether it always starts from noise, so <see cref="ReconstructionRequest.Strength"/> does not apply and is refused.</param>
internal sealed record PipelineRequirement(
    ReconstructionPipeline Pipeline,
    string Name,
    string ManifestKey,
    IPipeline Runner,
    IReadOnlyList<BundleComponentKind> Components,
    IReadOnlyList<string> Files,
    IReadOnlyList<VoxelEncoderRole> VoxelEncoderRoles,
    IReadOnlyList<RequiredOutput> Outputs,
    bool UsesPrior = false,
    bool UsesDiffusion = true,
    IReadOnlyList<string>? FilledUnetInputs = null,
    bool SamplesFromNoise = false)
{
    /// <summary>Whether it can fill the UNet input <paramref name="name"/> (one of the optional added inputs).</summary>
    public bool Fills(string name) => FilledUnetInputs?.Contains(name, StringComparer.Ordinal) == true;
}
