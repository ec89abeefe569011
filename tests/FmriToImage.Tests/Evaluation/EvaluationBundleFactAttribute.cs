namespace FmriToImage.Tests.Evaluation;

/// <summary>
/// A test that needs the evaluation bundle models/export/eval_networks.py writes (over 1 GB with CLIP ViT-L/14, so it
/// is generated, not committed): <c>FMRI2IMG_EVALUATION_BUNDLE</c>, else <c>artifacts/evaluation</c>. CI builds it
/// (.ci/run) and sets <c>FMRI2IMG_REQUIRE_EVALUATION_BUNDLE=1</c>, so there a missing bundle FAILS the test; locally,
/// without a bundle, the test is skipped with the command that builds one.
/// </summary>
public sealed class EvaluationBundleFactAttribute : FactAttribute
{
    /// <summary>Skips the test when the bundle is absent and not required.</summary>
    public EvaluationBundleFactAttribute()
    {
        if (!(File.Exists(Path.Combine(BundlePath, "evaluation.json")) && File.Exists(Path.Combine(BundlePath, "reference_table.json"))) && !Required)
        {
            Skip = $"No evaluation bundle with its reference_table.json at {BundlePath}: build it with '/usr/bin/python3 -m models.export.eval_networks --weights random --out artifacts/evaluation' "
                + "and 'tests/fixtures/evaluation/make_table_reference.py --bundle artifacts/evaluation' (CI does; FMRI2IMG_REQUIRE_EVALUATION_BUNDLE=1 makes its absence a failure).";
        }
    }

    /// <summary>Where the bundle is looked for.</summary>
    public static string BundlePath =>
        Environment.GetEnvironmentVariable("FMRI2IMG_EVALUATION_BUNDLE") is { Length: > 0 } path ? Path.GetFullPath(path) : TestFiles.RepoPath("artifacts", "evaluation");

    /// <summary>Whether a missing bundle is a failure (CI).</summary>
    public static bool Required => Environment.GetEnvironmentVariable("FMRI2IMG_REQUIRE_EVALUATION_BUNDLE") == "1";
}
