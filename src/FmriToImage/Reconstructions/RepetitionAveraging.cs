namespace FmriToImage.Reconstructions;

/// <summary>
/// How the repeats of one image (NSD shows each test image three times) are combined before the diffusion, when a
/// reconstruction is given several trials of one image (<see cref="BrainDecoder.ReconstructRepeats"/>,
/// <see cref="BrainDecoder.ReconstructImagesAsync"/>).
/// The default is the bundle's: format 1 bundles average voxels, format 2 (shared-subject) bundles state it in
/// <c>repetition_averaging</c>, by default <see cref="Outputs"/>.
/// </summary>
public enum RepetitionAveraging
{
    /// <summary>
    /// MindEye2: each repeat runs through the subject's adapter and the voxel encoders separately, and the encoders'
    /// outputs (tokens, embedding, latent) are averaged. Images with fewer repeats than the most any image has in
    /// the call are padded by duplicating their repeats in order (r mod k), as MindEye2 pads its test set.
    /// </summary>
    Outputs,

    /// <summary>MindEye1 and earlier: the repeats' voxels are averaged first, and the average is decoded once.</summary>
    Voxels,
}
