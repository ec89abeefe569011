using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Onnx;

/// <summary>Reading ONNX Runtime's tensor values as the library's types.</summary>
internal static class OrtValueExtensions
{
    /// <summary>The tensor's shape.</summary>
    public static long[] GetShape(this OrtValue value) => value.GetTensorTypeAndShape().Shape;

    /// <summary>Copies the tensor into a new <see cref="Tensor{T}"/> of its shape that outlives the value.</summary>
    /// <exception cref="TensorContractException"><typeparamref name="T"/> is not the tensor's element type.</exception>
    public static Tensor<T> ToTensor<T>(this OrtValue value)
        where T : unmanaged
    {
        var info = value.GetTensorTypeAndShape();
        if (ElementTypes.TryOf<T>() != info.ElementDataType)
        {
            throw new TensorContractException($"The tensor holds {ElementTypes.Name(info.ElementDataType)} elements; it cannot be read as {typeof(T).Name}.");
        }

        var lengths = info.Shape.Select(d => checked((nint)d)).ToArray();
        return Tensor.Create(value.ReadData<T>().ToArray(), lengths);
    }

    /// <summary>
    /// The tensor's elements as <typeparamref name="T"/>, over its memory; <see cref="Half"/> reads ONNX Runtime's
    /// <see cref="Float16"/> (the same bits).
    /// </summary>
    public static ReadOnlySpan<T> ReadData<T>(this OrtValue value)
        where T : unmanaged =>
        typeof(T) == typeof(Half) ? MemoryMarshal.Cast<Float16, T>(value.GetTensorDataAsSpan<Float16>()) : value.GetTensorDataAsSpan<T>();
}
