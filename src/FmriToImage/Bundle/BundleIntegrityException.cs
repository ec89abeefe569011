namespace FmriToImage.Bundle;

/// <summary>A bundle file's content does not match the sha256 that <c>fmri_decoder.json</c> records for it.</summary>
public sealed class BundleIntegrityException : FmriToImageException
{
    /// <summary>Creates the exception.</summary>
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

    /// <summary>The file whose content differs.</summary>
    public string FilePath { get; }

    /// <summary>The sha256 the manifest records.</summary>
    public string ExpectedSha256 { get; }

    /// <summary>The sha256 of the file on disk.</summary>
    public string ActualSha256 { get; }
}
