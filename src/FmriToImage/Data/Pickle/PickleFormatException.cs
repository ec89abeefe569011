namespace FmriToImage.Data.Pickle;

/// <summary>
/// A Python pickle (such as the one inside a NumPy object-array <c>.npy</c>) is malformed, or holds an opcode, a
/// global or a value that the restricted reader does not accept. Nothing in a refused pickle is ever executed.
/// </summary>
internal sealed class PickleFormatException : DataFileFormatException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="filePath">The file being read.</param>
    /// <param name="byteOffset">The byte offset in the file of the opcode that was refused or malformed.</param>
    /// <param name="message">What was expected and what was found.</param>
    public PickleFormatException(string filePath, long byteOffset, string message)
        : base(filePath, byteOffset, message)
    {
    }
}
