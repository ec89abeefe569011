namespace FmriToImage.Data;

/// <summary>How <see cref="TrialFile"/> read a file: as a ready matrix, or as betas volumes it masked and z-scored.</summary>
public enum TrialFileLayout
{
    /// <summary>A trials × voxels matrix already in the decoder's voxel order and preprocessing; taken as is.</summary>
    Matrix,

    /// <summary>One session of betas volumes: masked to the decoder's voxels and z-scored per voxel over the file's trials.</summary>
    Volumes,
}
