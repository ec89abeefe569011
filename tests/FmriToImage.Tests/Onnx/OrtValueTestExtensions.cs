using FmriToImage.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Tests;

/// <summary>Short forms the tests use to make and read ONNX Runtime values over caller arrays.</summary>
internal static class OrtValueTestExtensions
{
    /// <summary>Output <paramref name="name"/> of a run that returned every output of <paramref name="session"/> in declaration order.</summary>
    public static OrtValue Output(this IReadOnlyList<OrtValue> outputs, GraphSession session, string name) =>
        outputs[session.Outputs.Select(o => o.Name).ToList().IndexOf(name)];

    extension(OrtValue)
    {
        /// <summary>A tensor over <paramref name="data"/> (pinned until the value is disposed).</summary>
        public static OrtValue CreateTensor<T>(T[] data, ReadOnlySpan<long> shape)
            where T : unmanaged => AlignedTensor.Over(new Memory<T>(data), shape);
    }

    extension(OrtValue value)
    {
        /// <summary>The tensor's shape.</summary>
        public long[] Shape => value.GetShape();

        /// <summary>The tensor's element type.</summary>
        public TensorElementType ElementType => value.GetTensorTypeAndShape().ElementDataType;

        /// <summary>The tensor's element count.</summary>
        public long ElementCount => value.GetTensorTypeAndShape().ElementCount;

        /// <summary>A copy of the tensor's elements.</summary>
        public T[] ToArray<T>()
            where T : unmanaged => value.ReadData<T>().ToArray();
    }
}
