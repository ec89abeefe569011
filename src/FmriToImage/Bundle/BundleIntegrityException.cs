namespace FmriToImage.Bundle;

/// <summary>
/// A bundle file is not what <c>fmri_decoder.json</c> vouches for: its content's sha256 differs from the one the
/// manifest records, or the manifest does not list it at all (every file of a bundle must be listed with its sha256,
/// since a pipeline or ONNX Runtime may read it). Names the file.
/// </summary>
public sealed class BundleIntegrityException : FmriToImageException
{
    /// <summary>Creates the exception for a file whose content differs from the manifest's sha256.</summary>
    /// <param name="filePath">The file whose content differs.</param>
    /// <param name="expectedSha256">The sha256 the manifest records (lower-case hex).</param>
    /// <param name="actualSha256">The sha256 of the file on disk (lower-case hex).</param>
    public BundleIntegrityException(string filePath, string expectedSha256, string actualSha256)
        : base($"{filePath}: sha256 is {actualSha256} but fmri_decoder.json records {expectedSha256}; the file was changed or damaged after the bundle was made.")
    {
        FilePath = filePath;
        ExpectedSha256 = expectedSha256;
        ActualSha256 = actualSha256;
    }

    /// <summary>Creates the exception for a file the manifest does not list.</summary>
    /// <param name="filePath">The unlisted file.</param>
    public BundleIntegrityException(string filePath)
        : base($"{filePath}: not listed in fmri_decoder.json \"files\", so nothing vouches for its content; every file of a bundle must be listed with its sha256 (re-run the script that made the bundle, or remove the file).")
    {
        FilePath = filePath;
    }

    /// <summary>The file concerned.</summary>
    public string FilePath { get; }

    /// <summary>The sha256 the manifest records, or null when it does not list the file.</summary>
    public string? ExpectedSha256 { get; }

    /// <summary>The sha256 of the file on disk, or null when the manifest does not list the file (it is not hashed).</summary>
    public string? ActualSha256 { get; }
}
