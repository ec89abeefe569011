namespace FmriToImage.Imaging.Png;

/// <summary>The colour type field of a PNG IHDR chunk (PNG specification, section 11.2.2).</summary>
internal enum PngColorType : byte
{
    /// <summary>Greyscale, 1 sample per pixel; bit depths 1, 2, 4, 8, 16.</summary>
    Grey = 0,

    /// <summary>Red, green, blue; bit depths 8, 16.</summary>
    Rgb = 2,

    /// <summary>Palette indices, 1 sample per pixel; bit depths 1, 2, 4, 8; needs a PLTE chunk.</summary>
    Palette = 3,

    /// <summary>Greyscale and alpha; bit depths 8, 16.</summary>
    GreyAlpha = 4,

    /// <summary>Red, green, blue, alpha; bit depths 8, 16.</summary>
    Rgba = 6,
}
