namespace FmriToImage.Diffusion;

/// <summary>Progress of a <see cref="Sampler"/> run, reported after each completed denoising step.</summary>
/// <param name="Index">0-based index of the step just completed, in [0, <paramref name="Count"/>).</param>
/// <param name="Count">How many steps this run performs (fewer than the inference steps for img2img).</param>
/// <param name="Timestep">The timestep the step started from.</param>
/// <param name="Elapsed">Wall-clock time since the run started.</param>
public readonly record struct DiffusionStep(int Index, int Count, double Timestep, TimeSpan Elapsed);
