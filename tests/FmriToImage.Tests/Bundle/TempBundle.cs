using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace FmriToImage.Tests.Bundle;

/// <summary>A writable copy of a bundle (by default the tiny fixture bundle of tests/fixtures/make_bundle.py) in a temporary folder.</summary>
internal sealed class TempBundle : IDisposable
{
    public TempBundle(string? source = null)
    {
        Root = Path.Combine(Path.GetTempPath(), $"fmri2img-bundle-{Guid.NewGuid():N}");
        Copy(source ?? TestFiles.Fixture("bundle", "tiny"), Root);
    }

    public string Root { get; }

    public string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>Replaces a bundle file with a variant graph and records the new file's sha256, as a re-export would.</summary>
    public void ReplaceWithVariant(string relative, string variant)
    {
        File.Copy(TestFiles.Fixture("bundle", "variants", variant), PathOf(relative), overwrite: true);
        Rehash(relative);
    }

    /// <summary>Puts a hostile file of tests/fixtures/make_hostile_fixtures.py over a bundle file (the manifest is not changed).</summary>
    public void Overlay(string relative, string hostile) =>
        File.Copy(TestFiles.Fixture("hostile", "bundle", hostile), PathOf(relative), overwrite: true);

    public void Rehash(string relative) =>
        EditManifest(m => m["files"]![relative] = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(PathOf(relative)))));

    public void EditManifest(Action<JsonObject> edit)
    {
        var path = PathOf("fmri_decoder.json");
        var manifest = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(manifest);
        File.WriteAllText(path, manifest.ToJsonString());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static void Copy(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var directory in Directory.GetDirectories(from))
        {
            Copy(directory, Path.Combine(to, Path.GetFileName(directory)));
        }
    }
}
