namespace FmriToImage.Imaging;

/// <summary>
/// Resampling kernels of PIL's <c>Image.resize</c>. The numeric values are PIL's <c>Image.Resampling</c> codes, the
/// numbers Hugging Face <c>preprocessor_config.json</c> files store in their <c>resample</c> field.
/// </summary>
internal enum ResampleFilter
{
    /// <summary>Nearest neighbour (PIL code 0): the source pixel under each output pixel centre.</summary>
    Nearest = 0,

    /// <summary>Lanczos, a = 3 (PIL code 1), antialiased on downscale.</summary>
    Lanczos = 1,

    /// <summary>Triangle kernel of support 1 (PIL code 2), antialiased on downscale.</summary>
    Bilinear = 2,

    /// <summary>Keys cubic, a = −0.5, support 2 (PIL code 3), antialiased on downscale.</summary>
    Bicubic = 3,

    /// <summary>Box / area average (PIL code 4): each output pixel averages the source pixels it covers.</summary>
    Box = 4,

    /// <summary>Hamming-windowed sinc of support 1 (PIL code 5), antialiased on downscale.</summary>
    Hamming = 5,
}
