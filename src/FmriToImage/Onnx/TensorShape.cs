namespace FmriToImage.Onnx;

/// <summary>Shape arithmetic and formatting shared by values, sessions and their error messages.</summary>
internal static class TensorShape
{
    /// <summary>The number of elements of <paramref name="shape"/>, checked for negative dimensions and overflow.</summary>
    /// <exception cref="TensorContractException">A dimension is negative, or the product overflows.</exception>
    public static long ElementCount(ReadOnlySpan<long> shape, string what)
    {
        long count = 1;
        for (var i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
            {
                throw new TensorContractException($"{what}: dimension {i} of shape {Format(shape)} is negative; a concrete tensor needs every dimension ≥ 0.");
            }

            try
            {
                count = checked(count * shape[i]);
            }
            catch (OverflowException)
            {
                throw new TensorContractException($"{what}: shape {Format(shape)} has more elements than a 64-bit count can hold.");
            }
        }

        return count;
    }

    /// <summary>Formats a concrete shape as "[2, 3, 64, 64]".</summary>
    public static string Format(ReadOnlySpan<long> shape)
    {
        var parts = new string[shape.Length];
        for (var i = 0; i < shape.Length; i++)
        {
            parts[i] = shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(", ", parts) + "]";
    }
}
