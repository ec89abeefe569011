namespace FmriToImage.Interpretation;

/// <summary>A named set of the decoder's voxel columns (indices into a trial's voxel vector) that is removed as one.</summary>
/// <param name="Name">The region's name (an ROI label, or a block's name).</param>
/// <param name="Columns">Distinct column indices, 0 … voxel count − 1.</param>
internal sealed record DecoderRegion(string Name, int[] Columns);
