namespace FmriToImage.Interpretation;

/// <summary>
/// The brain's predicted embedding of <paramref name="count"/> voxel rows (count × voxels floats), in one encoder call:
/// count × E floats. The seam through which <see cref="LeaveOneOut"/> runs the high-level voxel encoder.
/// </summary>
internal delegate float[] EmbedRows(ReadOnlySpan<float> rows, int count, CancellationToken cancellationToken);
