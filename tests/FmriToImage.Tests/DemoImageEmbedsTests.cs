using System.Text.Json;
using FmriToImage.Imaging;

namespace FmriToImage.Tests;

/// <summary>
/// The demo image encoder's embeddings as the library computes them equal the Python forge's
/// (models/forge/zoo/clip_embeds.py over onnx_eval, tests/fixtures/forge/make_demo_image_embeds.py), which the one-shot
/// generator is trained on: the forge needs no C# program for them.
/// </summary>
public sealed class DemoImageEmbedsTests
{
    [Fact]
    public void The_library_embeds_the_fixture_images_as_the_python_forge_does()
    {
        using var expected = JsonDocument.Parse(File.ReadAllText(TestFiles.Fixture("forge", "demo_image_embeds.json")));
        var files = expected.RootElement.GetProperty("images").EnumerateArray().Select(f => f.GetString()!).ToArray();
        var rows = expected.RootElement.GetProperty("image_embeds").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetSingle()).ToArray()).ToArray();
        using var decoder = BrainDecoder.Load(TestFiles.RepoPath("models", "demo"));
        var images = files.Select(f => RgbImage.LoadPng(TestFiles.Fixture([.. f.Split('/')]))).ToArray();
        var actual = decoder.EmbedImages(images);
        var width = rows[0].Length;
        Assert.Equal(rows.Length * width, actual.Length);
        var largest = 0f;
        var where = "";
        for (var i = 0; i < rows.Length; i++)
        {
            for (var j = 0; j < width; j++)
            {
                var difference = Math.Abs(rows[i][j] - actual[(i * width) + j]);
                (largest, where) = difference > largest ? (difference, $"image {files[i]}, dimension {j}") : (largest, where);
            }
        }

        // Measured: largest difference 1.3e-6 (values up to 2.1; the JSON keeps 7 decimals), so 1e-5 leaves a margin.
        Assert.True(largest <= 1e-5f, $"largest difference {largest} at {where}");
    }
}
