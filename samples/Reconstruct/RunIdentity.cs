using FmriToImage.Reconstructions;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// What makes two runs' trials interchangeable, stored in every trial record: the bundle (the SHA-256 of its
/// fmri_decoder.json, which lists every file's SHA-256) and the request as asked (pipeline, steps, strength, guidance,
/// samples, seed; null = the bundle's default, which the bundle hash pins) and --nonfinite (which changes the voxels a
/// trial is made from). --resume refuses an --out whose trials were made with another identity, so a report never
/// mixes settings.
/// </summary>
/// <param name="Bundle">"sha256:&lt;hex&gt;" of the bundle's fmri_decoder.json.</param>
/// <param name="Request">The request as the command line asked for it.</param>
/// <param name="NonFinite">The --nonfinite mode ("error" in records made before the option existed, which then was the only behaviour).</param>
internal sealed record RunIdentity(string Bundle, ReconstructionRequest Request, string NonFinite = "error")
{
    /// <summary>The identity of a run of <paramref name="decoder"/> with <paramref name="request"/> and --nonfinite <paramref name="nonFinite"/>.</summary>
    public static RunIdentity Of(BrainDecoder decoder, ReconstructionRequest request, string nonFinite)
    {
        var manifest = decoder.ManifestPath;
        return new RunIdentity("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(manifest))), request, nonFinite);
    }

    /// <summary>How <paramref name="stored"/> differs from this identity, for the refusal message.</summary>
    public string DifferenceFrom(RunIdentity? stored) =>
        stored is null ? "it records no run identity (made by an older version)"
        : stored.Bundle != Bundle ? $"it was made with bundle {stored.Bundle}, this run uses {Bundle}"
        : string.Join("; ", Differences(stored.Request, Request).Concat(
            stored.NonFinite == NonFinite ? [] : [$"--nonfinite was {stored.NonFinite}, this run asks for {NonFinite}"]));

    /// <summary>Each setting that differs, named as its command-line option: "--steps was 20, this run asks for 10".</summary>
    private static IEnumerable<string> Differences(ReconstructionRequest stored, ReconstructionRequest asked)
    {
        var options = new System.Text.Json.JsonSerializerOptions { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };
        var before = System.Text.Json.JsonSerializer.SerializeToNode(stored, options)!.AsObject();
        var now = System.Text.Json.JsonSerializer.SerializeToNode(asked, options)!.AsObject();
        foreach (var (name, value) in now)
        {
            var old = before[name];
            if (!System.Text.Json.Nodes.JsonNode.DeepEquals(old, value))
            {
                var option = name switch
                {
                    nameof(ReconstructionRequest.Steps) => "--steps",
                    nameof(ReconstructionRequest.Strength) => "--strength",
                    nameof(ReconstructionRequest.Guidance) => "--guidance",
                    nameof(ReconstructionRequest.Samples) => "--samples",
                    nameof(ReconstructionRequest.Seed) => "--seed",
                    nameof(ReconstructionRequest.Pipeline) => "--pipeline",
                    _ => name,
                };
                yield return $"{option} was {Show(old)}, this run asks for {Show(value)}";
            }
        }
    }

    private static string Show(System.Text.Json.Nodes.JsonNode? value) => value is null ? "the bundle's default" : value.ToJsonString();
}
