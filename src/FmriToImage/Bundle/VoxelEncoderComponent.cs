namespace FmriToImage.Bundle;

/// <summary>A voxel encoder of a bundle: its manifest entry and its graph.</summary>
/// <param name="Entry">What <c>fmri_decoder.json</c> says about it.</param>
/// <param name="Component">Its graph and session.</param>
internal sealed record VoxelEncoderComponent(VoxelEncoderEntry Entry, BundleComponent Component);
