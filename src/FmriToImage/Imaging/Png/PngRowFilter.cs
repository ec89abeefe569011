namespace FmriToImage.Imaging.Png;

/// <summary>The five PNG filter types (PNG specification, section 9.2), applied per scanline.</summary>
internal enum PngRowFilter : byte
{
    /// <summary>Bytes stored as they are.</summary>
    None = 0,

    /// <summary>Difference from the byte one pixel to the left.</summary>
    Sub = 1,

    /// <summary>Difference from the byte above.</summary>
    Up = 2,

    /// <summary>Difference from the floor of the mean of left and above.</summary>
    Average = 3,

    /// <summary>Difference from the Paeth predictor of left, above and upper-left.</summary>
    Paeth = 4,
}
