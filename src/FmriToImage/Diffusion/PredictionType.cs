namespace FmriToImage.Diffusion;

/// <summary>What the denoising network predicts; diffusers' <c>prediction_type</c>.</summary>
public enum PredictionType
{
    /// <summary><c>"epsilon"</c>: the noise ε that was added (Stable Diffusion 1.x).</summary>
    Epsilon,

    /// <summary><c>"v_prediction"</c>: the velocity v = √ᾱ·ε − √(1−ᾱ)·x₀ (Salimans &amp; Ho 2022; SD 2.x 768).</summary>
    VPrediction,

    /// <summary><c>"sample"</c>: the clean sample x₀ itself.</summary>
    Sample,
}
