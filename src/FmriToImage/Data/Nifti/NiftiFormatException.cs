namespace FmriToImage.Data.Nifti;

/// <summary>A NIfTI file is malformed (wrong magic, impossible header fields, truncated or corrupt data) or uses an unsupported feature.</summary>
internal sealed class NiftiFormatException : DataFileFormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The file.</param>
    /// <param name="byteOffset">Where the problem was found (in the decompressed stream for <c>.nii.gz</c>).</param>
    /// <param name="message">What was expected and what was found.</param>
    /// <param name="innerException">The underlying cause, if any.</param>
    public NiftiFormatException(string filePath, long byteOffset, string message, Exception? innerException = null)
        : base(filePath, byteOffset, message, innerException)
    {
    }
}
