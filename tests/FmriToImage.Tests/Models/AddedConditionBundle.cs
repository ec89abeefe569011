using System.Text.Json.Nodes;
using FmriToImage.Pipelines;
using FmriToImage.Tests.Bundle;

namespace FmriToImage.Tests.Models;

/// <summary>
/// Copies of the tiny fixture bundle whose UNet takes added conditions: a graph of
/// tests/fixtures/make_added_condition_unets.py (tests/fixtures/bundle/added/) with that script's config keys merged
/// into unet/config.json, and, for unCLIP, the noising scheduler and normaliser files.
/// </summary>
internal static class AddedConditionBundle
{
    public static string Added(string name) => TestFiles.Fixture("bundle", "added", name);

    /// <param name="graph">The UNet graph file of tests/fixtures/bundle/added/.</param>
    /// <param name="config">The key of unet_configs.json whose values go into unet/config.json, or null for none.</param>
    /// <param name="unclipFiles">Whether to add image_noising_scheduler/ and image_normalizer/.</param>
    public static TempBundle Make(string graph, string? config, bool unclipFiles = false)
    {
        var temp = new TempBundle();
        File.Copy(Added(graph), temp.PathOf("unet/model.onnx"), overwrite: true);
        temp.Rehash("unet/model.onnx");
        if (config is not null)
        {
            var keys = JsonNode.Parse(File.ReadAllText(Added("unet_configs.json")))![config]!.AsObject();
            var path = temp.PathOf("unet/config.json");
            var unet = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            foreach (var (key, value) in keys)
            {
                unet[key] = value!.DeepClone();
            }

            File.WriteAllText(path, unet.ToJsonString());
            temp.Rehash("unet/config.json");
        }

        if (unclipFiles)
        {
            foreach (var (from, to) in new[]
            {
                ("image_noising_scheduler_config.json", UnetConditions.NoisingSchedulerPath),
                ("image_normalizer_mean.npy", UnetConditions.NormalizerMeanPath),
                ("image_normalizer_std.npy", UnetConditions.NormalizerStdPath),
            })
            {
                Directory.CreateDirectory(Path.GetDirectoryName(temp.PathOf(to))!);
                File.Copy(Added(from), temp.PathOf(to));
                temp.Rehash(to);
            }
        }

        return temp;
    }
}
