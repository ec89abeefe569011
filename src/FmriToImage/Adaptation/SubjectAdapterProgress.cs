namespace FmriToImage.Adaptation;

/// <summary>How far <see cref="SubjectAdapter.Fit"/> is: <paramref name="Done"/> of <paramref name="Total"/> units of <paramref name="Stage"/>.</summary>
/// <param name="Stage">The stage running.</param>
/// <param name="Done">Units done in this stage.</param>
/// <param name="Total">Units in this stage.</param>
public sealed record SubjectAdapterProgress(SubjectAdapterStage Stage, int Done, int Total);
