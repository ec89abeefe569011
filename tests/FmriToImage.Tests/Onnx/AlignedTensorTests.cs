using FmriToImage.Onnx;
using FsCheck;
using FsCheck.Fluent;

namespace FmriToImage.Tests.Onnx;

public sealed class AlignedTensorTests
{
    [Fact]
    public void A_tensor_over_caller_memory_shares_that_memory()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        using var value = AlignedTensor.Over(new Memory<float>(data), [2, 3]);
        Assert.True(value.IsTensor);
        Assert.Equal(TensorElementType.Float, value.GetTensorTypeAndShape().ElementDataType);
        Assert.Equal([2L, 3], value.GetShape());
        Assert.Equal(6, value.GetTensorTypeAndShape().ElementCount);

        data[4] = 42;
        Assert.Equal(42, value.GetTensorMutableDataAsSpan<float>()[4]);
        value.GetTensorMutableDataAsSpan<float>()[0] = -1;
        Assert.Equal(-1, data[0]);
    }

    [Fact]
    public void Only_the_leading_elements_a_shape_needs_are_used_from_a_larger_buffer()
    {
        var data = new int[10];
        using var value = AlignedTensor.Over(new Memory<int>(data, 2, 8), [2, 2]);
        Assert.Equal(4, value.GetTensorMutableDataAsSpan<int>().Length);
        value.GetTensorMutableDataAsSpan<int>()[0] = 9;
        Assert.Equal(9, data[2]);
    }

    [Fact]
    public void A_scalar_and_an_empty_tensor_are_valid()
    {
        using var scalar = AlignedTensor.Copy<long>([3L], ReadOnlySpan<long>.Empty);
        Assert.Equal(1, scalar.GetTensorTypeAndShape().ElementCount);
        Assert.Empty(scalar.GetShape());
        using var empty = AlignedTensor.Zeroed<float>([0, 3]);
        Assert.Equal(0, empty.GetTensorTypeAndShape().ElementCount);
    }

    [Fact]
    public void Copies_are_64_byte_aligned_and_own_their_memory()
    {
        var data = Enumerable.Range(0, 37).Select(i => (float)i).ToArray();
        using var value = AlignedTensor.Copy<float>(data, [37]);
        unsafe
        {
            fixed (float* start = value.GetTensorMutableDataAsSpan<float>())
            {
                Assert.Equal(0, (long)(nint)start % AlignedPinnedMemory.Alignment);
            }
        }

        data[0] = 100;
        Assert.Equal(0f, value.GetTensorDataAsSpan<float>()[0]);
        Assert.Equal(data[1..], value.GetTensorDataAsSpan<float>()[1..].ToArray());
    }

    [Fact]
    public void Copies_into_a_tensor_that_outlives_the_value()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        using var value = AlignedTensor.Over(new Memory<float>(data), [2, 3]);
        var copy = value.ToTensor<float>();
        data[5] = 0;
        Assert.Equal(6f, copy[1, 2]);
        Assert.Equal([(nint)2, 3], copy.Lengths.ToArray());
    }

    [Fact]
    public void Reading_as_the_wrong_type_is_refused_with_both_types_named()
    {
        using var value = AlignedTensor.Zeroed<float>([2]);
        var error = Assert.Throws<TensorContractException>(() => value.ToTensor<int>());
        Assert.Contains("holds float32 elements; it cannot be read as Int32", error.Message);
    }

    [Fact]
    public void Negative_dimensions_and_unsupported_element_types_are_refused()
    {
        var negative = Assert.Throws<TensorContractException>(() => AlignedTensor.Over(new Memory<float>(new float[4]), [2, -2]));
        Assert.Contains("dimension 1 of shape [2, -2] is negative", negative.Message);
        Assert.Throws<NotSupportedException>(() => AlignedTensor.Copy<char>(new char[2], [2]));
        var wrongCount = Assert.Throws<TensorContractException>(() => AlignedTensor.Copy<float>(new float[5], [2, 3]));
        Assert.Contains("5 float32 elements given but shape [2, 3] needs 6", wrongCount.Message);
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
                        using var _ = AlignedTensor.Over(new Memory<float>(new float[length]), shape);
                        return false;
                    }
                    catch (TensorContractException)
                    {
                        return true;
                    }
                }

                using var value = AlignedTensor.Over(new Memory<float>(new float[length]), shape);
                return value.GetShape().SequenceEqual(shape) && value.GetTensorTypeAndShape().ElementCount == needed && value.GetTensorDataAsSpan<float>().Length == needed;
            });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), property);
    }
}
