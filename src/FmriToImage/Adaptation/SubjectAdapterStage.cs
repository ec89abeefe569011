namespace FmriToImage.Adaptation;

/// <summary>The stages of <see cref="SubjectAdapter.Fit"/>, in the order they run.</summary>
public enum SubjectAdapterStage
{
    /// <summary>Accumulating the trials × trials kernel; counts trials.</summary>
    Kernel,

    /// <summary>Scoring the λ grid by cross-validation; counts penalties.</summary>
    CrossValidation,

    /// <summary>Solving at the chosen λ and forming the voxels × dimensions map; counts voxels.</summary>
    Weights,
}
