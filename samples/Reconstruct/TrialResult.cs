namespace FmriToImage.Samples.Reconstruct;

/// <summary>What is stored per trial in out/trials/&lt;nsdId&gt;.json, so a rerun (<c>--resume</c>) or another shard can skip it.</summary>
internal sealed record TrialResult(int ImageId, string Pipeline, string ChosenModel, int ChosenIndex, float[] Scores, string[] Captions, double Seconds);
