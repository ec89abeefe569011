namespace FmriToImage.Tests.Bundle;

/// <summary>
/// A test that needs the full-size random-weight MindEye2 bundle (7.9 GB, generated, never committed): it runs only
/// where <c>FMRI2IMG_MINDEYE2_BUNDLE</c> names a folder with its fmri_decoder.json and verify_*.npy, and is skipped
/// otherwise with the commands that build one (docs/real-models.md, MindEye2).
/// </summary>
public sealed class MindEye2BundleFactAttribute : FactAttribute
{
    /// <summary>Skips the test when the variable is unset or its folder is not such a bundle.</summary>
    public MindEye2BundleFactAttribute()
    {
        if (BundlePath is not { } path || !File.Exists(Path.Combine(path, "fmri_decoder.json")) || !File.Exists(Path.Combine(path, "verify_shared.npy")))
        {
            Skip = $"FMRI2IMG_MINDEYE2_BUNDLE ({BundlePath ?? "unset"}) does not name a full-size MindEye2 bundle with verify_*.npy: build one with "
                + "'/usr/bin/python3 -m models.export.mindeye2 --random-full-size --out artifacts/mindeye2-random --verify' and "
                + "'/usr/bin/python3 -m models.export.finish_bundle --bundle artifacts/mindeye2-random' (7.9 GB, about 10 min), then set FMRI2IMG_MINDEYE2_BUNDLE=artifacts/mindeye2-random.";
        }
    }

    /// <summary>The bundle folder <c>FMRI2IMG_MINDEYE2_BUNDLE</c> names (a relative path from the repository root), or null.</summary>
    public static string? BundlePath =>
        Environment.GetEnvironmentVariable("FMRI2IMG_MINDEYE2_BUNDLE") is { Length: > 0 } path ? Path.GetFullPath(path, TestFiles.RepositoryRoot) : null;
}
