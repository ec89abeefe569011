using FmriToImage.Bundle;

namespace FmriToImage.Pipelines;

/// <summary>
/// A graph output a pipeline reads: of a standard component (<paramref name="Component"/>), or of the first voxel
/// encoder with role <paramref name="VoxelEncoderRole"/> when that is set.
/// </summary>
/// <param name="Component">The component whose graph has it (<see cref="BundleComponentKind.VoxelEncoder"/> for a voxel encoder).</param>
/// <param name="Output">The output's name, e.g. "image_embeds".</param>
/// <param name="VoxelEncoderRole">For a voxel encoder: the role of the encoder (the first in manifest order) that must have it.</param>
internal sealed record RequiredOutput(BundleComponentKind Component, string Output, VoxelEncoderRole? VoxelEncoderRole = null);
