using FmriToImage.Onnx;

namespace FmriToImage.Tests.Onnx;

public sealed class AlignedPinnedMemoryTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(4099)]
    public void Every_buffer_starts_on_a_64_byte_boundary_zeroed(int length)
    {
        for (var repeat = 0; repeat < 20; repeat++)
        {
            _ = new byte[repeat * 3]; // shifts where the next pinned array lands
            AssertAlignedZeroed(AlignedPinnedMemory.Allocate<float>(length), length);
            AssertAlignedZeroed(AlignedPinnedMemory.Allocate<Half>(length), length);
            AssertAlignedZeroed(AlignedPinnedMemory.Allocate<long>(length), length);
            AssertAlignedZeroed(AlignedPinnedMemory.Allocate<int>(length), length);
            AssertAlignedZeroed(AlignedPinnedMemory.Allocate<byte>(length), length);
        }
    }

    [Fact]
    public void Sizes_that_cannot_be_aligned_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AlignedPinnedMemory.Allocate<float>(-1));
        Assert.Throws<NotSupportedException>(() => AlignedPinnedMemory.Allocate<decimal>(4));
        Assert.Throws<TensorContractException>(() => AlignedTensor.Copy<float>(new float[5], [2, 3]));
    }

    [Fact]
    public void The_same_numbers_from_any_address_give_the_same_bits()
    {
        // ReduceSum over an input is the kernel whose summation order follows the input's alignment
        // (tests/fixtures/make_onnx_models.py); through aligned copies every source address gives one result.
        using var session = GraphSession.Open(TestFiles.OnnxModel("reduce_sum.onnx"));
        var random = new Random(5);
        var numbers = Enumerable.Range(0, 3 * 4099).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        float[]? first = null;
        for (var offset = 0; offset < 16; offset++)
        {
            var source = new float[numbers.Length + 16];
            numbers.CopyTo(source, offset);
            using var value = AlignedTensor.Copy<float>(source.AsSpan(offset, numbers.Length), [3, 4099]);
            using var outputs = session.Run([new("x", value)]);
            var sums = outputs[0].ToArray<float>();
            first ??= sums;
            Assert.Equal(first.Select(BitConverter.SingleToInt32Bits), sums.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void A_tensor_copy_keeps_its_shape_and_values()
    {
        var tensor = System.Numerics.Tensors.Tensor.Create(Enumerable.Range(0, 24).Select(i => (float)i).ToArray(), [2, 3, 4]);
        using var value = AlignedTensor.Copy(tensor);
        Assert.Equal([2L, 3, 4], value.Shape.ToArray());
        Assert.Equal(tensor.ToArray(), value.ToArray<float>());
    }

    [Fact]
    public unsafe void An_aligned_tensor_lives_in_aligned_native_memory_that_its_value_frees()
    {
        var numbers = Enumerable.Range(0, 37).Select(i => (float)i).ToArray();
        using (var value = AlignedTensor.Copy<float>(numbers, [37]))
        {
            fixed (float* data = value.GetTensorMutableDataAsSpan<float>())
            {
                Assert.Equal(0u, (nuint)data % AlignedPinnedMemory.Alignment);
            }

            Assert.Equal(numbers, value.ToArray<float>());
        }

        using (var empty = AlignedTensor.Copy<float>([], [0, 4]))
        {
            Assert.Equal(0, empty.ElementCount);
        }

        // The buffer is freed when its one pin (the value's) is released, and refuses use afterwards.
        var buffer = new NativeAlignedBuffer<long>(5);
        var pin = buffer.Pin();
        Assert.Equal(0u, (nuint)pin.Pointer % AlignedPinnedMemory.Alignment);
        pin.Dispose();
        Assert.Throws<ObjectDisposedException>(() => buffer.GetSpan());
        buffer.Free(); // idempotent
    }

    private static unsafe void AssertAlignedZeroed<T>(Memory<T> memory, int length)
        where T : unmanaged
    {
        Assert.Equal(length, memory.Length);
        using var pin = memory.Pin();
        Assert.Equal(0u, (nuint)pin.Pointer % AlignedPinnedMemory.Alignment);
        Assert.True(AlignedPinnedMemory.IsAligned(memory));
        foreach (var item in memory.Span)
        {
            Assert.Equal(default, item);
        }
    }
}
