using System.Numerics.Tensors;
using FmriToImage.Onnx;
using FsCheck;
using FsCheck.Fluent;

namespace FmriToImage.Tests.Onnx;

public sealed class OrtValueTests
{
    [Fact]
    public void A_tensor_over_caller_memory_shares_that_memory()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        using var value = OrtValue.CreateTensor(data, [2, 3]);
        Assert.Equal(OrtValueKind.Tensor, value.Kind);
        Assert.Equal(OrtTensorElementType.Float, value.ElementType);
        Assert.Equal([2L, 3], value.Shape.ToArray());
        Assert.Equal(6, value.ElementCount);

        data[4] = 42;
        Assert.Equal(42, value.GetTensorData<float>()[4]);
        value.GetTensorData<float>()[0] = -1;
        Assert.Equal(-1, data[0]);
    }

    [Fact]
    public void Only_the_leading_elements_a_shape_needs_are_used_from_a_larger_buffer()
    {
        var data = new int[10];
        using var value = OrtValue.CreateTensor(new Memory<int>(data, 2, 8), [2, 2]);
        Assert.Equal(4, value.GetTensorData<int>().Length);
        value.GetTensorData<int>()[0] = 9;
        Assert.Equal(9, data[2]);
    }

    [Fact]
    public void An_allocated_tensor_has_the_requested_type_and_shape()
    {
        using var value = OrtValue.AllocateTensor<long>([4, 1, 2]);
        Assert.Equal(OrtTensorElementType.Int64, value.ElementType);
        Assert.Equal(8, value.GetTensorData<long>().Length);
        using var half = OrtValue.AllocateTensor(OrtTensorElementType.Float16, [3]);
        Assert.Equal(3, half.GetTensorData<Half>().Length);
        Assert.Throws<ArgumentException>(() => OrtValue.AllocateTensor(OrtTensorElementType.String, [1]));
    }

    [Fact]
    public void A_scalar_and_an_empty_tensor_are_valid()
    {
        using var scalar = OrtValue.CreateTensor(new[] { 3L }, ReadOnlySpan<long>.Empty);
        Assert.Equal(1, scalar.ElementCount);
        Assert.Empty(scalar.Shape.ToArray());
        using var empty = OrtValue.CreateTensor(Array.Empty<float>(), [0, 3]);
        Assert.Equal(0, empty.ElementCount);
    }

    [Fact]
    public void Exposes_the_data_as_a_tensor_span_and_copies_it_into_a_tensor()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        using var value = OrtValue.CreateTensor(data, [2, 3]);
        var span = value.AsTensorSpan<float>();
        Assert.Equal([(nint)2, 3], span.Lengths.ToArray());
        Assert.Equal(6f, span[1, 2]);

        var copy = value.ToTensor<float>();
        data[5] = 0;
        Assert.Equal(6f, copy[1, 2]);
        Assert.Equal([(nint)2, 3], copy.Lengths.ToArray());
    }

    [Fact]
    public void Reading_as_the_wrong_type_is_refused_with_both_types_named()
    {
        using var value = OrtValue.CreateTensor(new float[2], [2]);
        var error = Assert.Throws<TensorContractException>(() => value.GetTensorData<int>());
        Assert.Contains("holds float32 elements; it cannot be read as Int32 (int32)", error.Message);
    }

    [Fact]
    public void Negative_dimensions_and_unsupported_element_types_are_refused()
    {
        var negative = Assert.Throws<TensorContractException>(() => OrtValue.CreateTensor(new float[4], [2, -2]));
        Assert.Contains("dimension 1 of shape [2, -2] is negative", negative.Message);
        Assert.Throws<NotSupportedException>(() => OrtValue.CreateTensor(new char[2], [2]));
    }

    [Fact]
    public void Dispose_is_idempotent_and_reading_after_it_is_refused()
    {
        var value = OrtValue.CreateTensor(new float[2], [2]);
        value.Dispose();
        value.Dispose();
        Assert.True(value.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => value.GetTensorData<float>());
        Assert.Equal("OrtValue (disposed)", value.ToString());
    }

    [Fact]
    public void Any_shape_is_accepted_exactly_when_the_buffer_holds_its_elements()
    {
        // Property: for random small shapes and buffer lengths, creation succeeds iff length ≥ product(shape),
        // and then the value reports exactly that shape and element count.
        var property = Prop.ForAll(
            Gen.Choose(0, 4).SelectMany(rank => Gen.ArrayOf(Gen.Choose(0, 5), rank)).ToArbitrary(),
            Gen.Choose(0, 700).ToArbitrary(),
            (int[] dims, int length) =>
            {
                var shape = dims.Select(d => (long)d).ToArray();
                var needed = shape.Aggregate(1L, (a, b) => a * b);
                if (length < needed)
                {
                    try
                    {
                        using var _ = OrtValue.CreateTensor(new float[length], shape);
                        return false;
                    }
                    catch (TensorContractException)
                    {
                        return true;
                    }
                }

                using var value = OrtValue.CreateTensor(new float[length], shape);
                return value.Shape.SequenceEqual(shape) && value.ElementCount == needed && value.GetTensorData<float>().Length == needed;
            });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }
}
