namespace FmriToImage;

/// <summary>
/// The base of every exception this library throws for a problem with its input, its model files, its data files
/// or the native runtime. Catch this type to handle all of them; catch a subclass to handle one kind.
/// </summary>
/// <remarks>
/// Messages name the file or argument concerned, what was expected and what was found (shape, element type,
/// voxel count, byte offset), so that a message alone is enough to find the problem.
/// </remarks>
public class FmriToImageException : Exception
{
    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What went wrong: the thing concerned, the expected and the actual value.</param>
    public FmriToImageException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    /// <param name="message">What went wrong: the thing concerned, the expected and the actual value.</param>
    /// <param name="innerException">The underlying cause.</param>
    public FmriToImageException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
