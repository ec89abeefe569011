using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Onnx;

/// <summary>
/// ONNX Runtime values over 64-byte aligned memory (<see cref="OrtValue.CreateTensorValueFromMemory{T}(OrtMemoryInfo, Memory{T}, long[])"/>):
/// the input form that gives the same bits for the same numbers wherever the caller's copy sits
/// (<see cref="AlignedPinnedMemory"/>). Per-call values own a native buffer that is freed when the value is disposed,
/// so short-lived inputs never occupy the pinned object heap.
/// </summary>
internal static class AlignedTensor
{
    /// <summary>Wraps <paramref name="memory"/> (pinned by the value until it is disposed) as a tensor of <paramref name="shape"/>.</summary>
    /// <exception cref="TensorContractException">The memory does not hold exactly the elements the shape needs, or a dimension is negative.</exception>
    public static OrtValue Over<T>(Memory<T> memory, ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        var count = TensorShape.ElementCount(shape, "tensor");
        if (memory.Length < count)
        {
            throw new TensorContractException(
                $"The buffer holds {memory.Length} {ElementTypes.Name(ElementTypes.Of<T>())} elements but shape {TensorShape.Format(shape)} needs {count}.");
        }

        var exact = memory[..(int)count];
        var dims = shape.ToArray();
        return OnnxErrors.Call(
            () => typeof(T) == typeof(Half)
                // ONNX Runtime's factory takes its own Float16 for float16 tensors: the same bits, seen without a copy.
                ? OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, new ReinterpretedMemory<T, Float16>(exact).Memory, dims)
                : OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, exact, dims),
            $"creating a {ElementTypes.Name(ElementTypes.Of<T>())} tensor {TensorShape.Format(dims)}");
    }

    /// <summary>A 64-byte aligned copy of <paramref name="data"/> as a tensor that owns its native buffer.</summary>
    /// <exception cref="TensorContractException"><paramref name="data"/> does not hold exactly the elements the shape needs.</exception>
    public static OrtValue Copy<T>(ReadOnlySpan<T> data, ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        var count = TensorShape.ElementCount(shape, "tensor");
        if (data.Length != count)
        {
            throw new TensorContractException(
                $"{data.Length} {ElementTypes.Name(ElementTypes.Of<T>())} elements given but shape {TensorShape.Format(shape)} needs {count}.");
        }

        var buffer = new NativeAlignedBuffer<T>(data.Length);
        data.CopyTo(buffer.GetSpan());
        return Own(buffer, shape);
    }

    /// <summary>A 64-byte aligned copy of <paramref name="tensor"/> with its shape.</summary>
    public static OrtValue Copy<T>(Tensor<T> tensor)
        where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(tensor);
        var shape = new long[tensor.Rank];
        for (var i = 0; i < shape.Length; i++)
        {
            shape[i] = tensor.Lengths[i];
        }

        var value = Zeroed<T>(shape);
        tensor.FlattenTo(value.GetTensorMutableDataAsSpan<T>());
        return value;
    }

    /// <summary>A zeroed tensor in a 64-byte aligned native buffer the value owns; write it through <see cref="OrtValue.GetTensorMutableDataAsSpan{T}"/>.</summary>
    public static OrtValue Zeroed<T>(ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        var count = TensorShape.ElementCount(shape, "tensor");
        var buffer = new NativeAlignedBuffer<T>(checked((int)count));
        buffer.GetSpan().Clear();
        return Own(buffer, shape);
    }

    /// <summary>
    /// A float16 copy of a float32 tensor, or a float32 copy of a float16 one (the same shape, 64-byte aligned, owning
    /// its buffer): the conversion at a float16 graph's edge, so the library's own state stays float32.
    /// </summary>
    /// <exception cref="TensorContractException">The value is neither float32 nor float16.</exception>
    public static OrtValue ConvertFloat(OrtValue value, TensorElementType to)
    {
        var info = value.GetTensorTypeAndShape();
        switch (info.ElementDataType, to)
        {
            case (TensorElementType.Float, TensorElementType.Float16):
                var halves = Zeroed<Half>(info.Shape);
                TensorPrimitives.ConvertToHalf(value.GetTensorDataAsSpan<float>(), MemoryMarshal.Cast<Float16, Half>(halves.GetTensorMutableDataAsSpan<Float16>()));
                return halves;
            case (TensorElementType.Float16, TensorElementType.Float):
                var singles = Zeroed<float>(info.Shape);
                TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<Float16, Half>(value.GetTensorDataAsSpan<Float16>()), singles.GetTensorMutableDataAsSpan<float>());
                return singles;
            default:
                throw new TensorContractException($"A {ElementTypes.Name(info.ElementDataType)} tensor cannot be converted to {ElementTypes.Name(to)} (float32 ↔ float16 only).");
        }
    }

    /// <summary>Wraps a filled native buffer as a tensor that frees it when disposed; frees it when the value cannot be made.</summary>
    private static OrtValue Own<T>(NativeAlignedBuffer<T> buffer, ReadOnlySpan<long> shape)
        where T : unmanaged
    {
        try
        {
            return Over(buffer.Memory, shape);
        }
        catch
        {
            buffer.Free();
            throw;
        }
    }
}
