namespace FmriToImage.Tests;

/// <summary>Paths of the committed fixtures, copied beside the test assembly under fixtures/.</summary>
internal static class TestFiles
{
    /// <summary>The fixture at <c>tests/fixtures/&lt;parts&gt;</c>.</summary>
    public static string Fixture(params string[] parts) =>
        Path.Combine([AppContext.BaseDirectory, "fixtures", .. parts]);

    /// <summary>A model written by tests/fixtures/make_onnx_models.py.</summary>
    public static string OnnxModel(string name) => Fixture("onnx", name);
}
