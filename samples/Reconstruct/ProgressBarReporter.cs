using FmriToImage.Reconstructions;
using Spectre.Console;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>Shows <see cref="BrainDecoder.ReconstructAllAsync"/>'s progress on a console progress bar, synchronously.</summary>
/// <param name="bar">The bar; its maximum is the number of trials.</param>
/// <param name="labels">Per trial of the batch, how the bar names it.</param>
internal sealed class ProgressBarReporter(ProgressTask bar, IReadOnlyList<string> labels) : IProgress<ReconstructionProgress>
{
    /// <inheritdoc/>
    public void Report(ReconstructionProgress value)
    {
        bar.Value = value.Completed;
        bar.Description = value.Completed < labels.Count ? labels[value.Completed] : "evaluating";
    }
}
