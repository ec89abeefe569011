namespace FmriToImage.Data.Algonauts;

/// <summary>
/// One stimulus image of a split, named as the challenge names them: <c>train-0001_nsd-00013.png</c> — the image's
/// 1-based number in the split (its fMRI row is <c>Number − 1</c>) and its 0-based index in NSD's 73,000 images
/// (the row of <c>nsd_stimuli.hdf5</c>'s <c>imgBrick</c>, NSD's 0-based <c>nsdId</c>; the 1-based <c>73KID</c> is
/// this plus one).
/// </summary>
/// <param name="Path">The image file.</param>
/// <param name="Number">The 1-based image number in the split.</param>
/// <param name="NsdIndex">The 0-based index in NSD's 73,000 images (<c>nsdId</c>).</param>
public sealed record AlgonautsImage(string Path, int Number, int NsdIndex);
