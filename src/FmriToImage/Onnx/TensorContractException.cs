namespace FmriToImage.Onnx;

/// <summary>
/// A tensor handed to a model does not fit the model's declared contract — unknown or missing name, wrong element
/// type, wrong rank, wrong fixed dimension — or a buffer is too small for the shape it is said to have. Raised
/// before the native call, so the model never sees the bad value.
/// </summary>
internal sealed class TensorContractException : FmriToImageException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The model, the input or output name, the expected and the actual value.</param>
    /// <param name="tensorName">The input or output concerned, or null when the problem is not tied to one name.</param>
    public TensorContractException(string message, string? tensorName = null)
        : base(message)
    {
        TensorName = tensorName;
    }

    /// <summary>The input or output concerned, or null when the problem is not tied to one name.</summary>
    public string? TensorName { get; }
}
