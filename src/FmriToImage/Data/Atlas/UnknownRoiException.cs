namespace FmriToImage.Data.Atlas;

/// <summary>An ROI name is not in any label table that was searched; the message lists the known names.</summary>
public sealed class UnknownRoiException : FmriToImageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="name">The requested ROI name.</param>
    /// <param name="known">The names that exist.</param>
    public UnknownRoiException(string name, IEnumerable<string> known)
        : base($"unknown ROI '{name}'; known ROIs: {string.Join(", ", known)}")
    {
        Name = name;
    }

    /// <summary>The requested ROI name.</summary>
    public string Name { get; }
}
