namespace FmriToImage.Data.Algonauts;

/// <summary>The two data splits of an Algonauts 2023 subject folder.</summary>
public enum AlgonautsSplit
{
    /// <summary><c>training_split/</c>: <c>training_fmri/</c> and <c>training_images/</c>.</summary>
    Training,

    /// <summary><c>test_split/</c>: <c>test_fmri/</c> (when released) and <c>test_images/</c>.</summary>
    Test,
}
