namespace FmriToImage.Data;

/// <summary>The trials <see cref="TrialFile.ReadAsync"/> read from one file.</summary>
/// <param name="Voxels">One row per trial (the first <c>limit</c> trials of the file), columns in the decoder's voxel order.</param>
/// <param name="Layout">How the file was read.</param>
/// <param name="TrialsInFile">The number of trials the file holds (more than <see cref="VoxelMatrix.TrialCount"/> when a limit applied).</param>
public sealed record TrialFileContents(VoxelMatrix Voxels, TrialFileLayout Layout, long TrialsInFile);
