namespace FmriToImage.Bundle;

/// <summary>A component a pipeline needs is not in the bundle. Names the file and the pipelines that need it.</summary>
public sealed class BundleComponentMissingException : FmriToImageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="bundlePath">The bundle folder.</param>
    /// <param name="relativePath">The file that is missing, relative to the bundle folder.</param>
    /// <param name="neededBy">The pipelines that need it.</param>
    public BundleComponentMissingException(string bundlePath, string relativePath, IReadOnlyList<string> neededBy)
        : base($"Bundle '{bundlePath}' has no '{relativePath}'; it is needed by: {(neededBy.Count == 0 ? "(no pipeline)" : string.Join(", ", neededBy))}.")
    {
        BundlePath = bundlePath;
        RelativePath = relativePath;
        NeededBy = neededBy;
    }

    /// <summary>The bundle folder.</summary>
    public string BundlePath { get; }

    /// <summary>The missing file, relative to the bundle folder.</summary>
    public string RelativePath { get; }

    /// <summary>The pipelines that need it.</summary>
    public IReadOnlyList<string> NeededBy { get; }
}
