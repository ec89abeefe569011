namespace FmriToImage.Pipelines;

/// <summary>
/// The index arithmetic of a batch of trials × models × samples, in one place: the batched stages hold one row per
/// (trial, model) in trial-major order; one trial's diffusion batch holds one candidate per (model, sample) in
/// model-major order.
/// </summary>
/// <param name="Trials">Trials prepared together.</param>
/// <param name="Models">Voxel encoders per trial (1 for a pipeline with one).</param>
/// <param name="Samples">Samples per model.</param>
internal readonly record struct BatchLayout(int Trials, int Models, int Samples)
{
    /// <summary>Candidates per trial: models × samples.</summary>
    public int Candidates => Models * Samples;

    /// <summary>Rows of the batched stages: trials × models.</summary>
    public int Inputs => Trials * Models;

    /// <summary>The batched-stage row of (<paramref name="trial"/>, <paramref name="model"/>).</summary>
    public int Input(int trial, int model) => (trial * Models) + model;

    /// <summary>The candidate index of (<paramref name="model"/>, <paramref name="sample"/>) within a trial.</summary>
    public int Candidate(int model, int sample) => (model * Samples) + sample;

    /// <summary>The model of candidate <paramref name="candidate"/>.</summary>
    public int ModelOf(int candidate) => candidate / Samples;

    /// <summary>The sample index of candidate <paramref name="candidate"/>.</summary>
    public int SampleOf(int candidate) => candidate % Samples;

    /// <summary>The batched-stage row of candidate <paramref name="candidate"/> of <paramref name="trial"/>.</summary>
    public int InputOf(int trial, int candidate) => Input(trial, ModelOf(candidate));

    /// <summary>Copies row <see cref="InputOf"/> of <paramref name="perInput"/> (<paramref name="length"/> floats each) to every candidate of <paramref name="trial"/> in <paramref name="perCandidate"/>.</summary>
    public void Spread(int trial, ReadOnlySpan<float> perInput, int length, Span<float> perCandidate)
    {
        for (var k = 0; k < Candidates; k++)
        {
            perInput.Slice(InputOf(trial, k) * length, length).CopyTo(perCandidate.Slice(k * length, length));
        }
    }
}
