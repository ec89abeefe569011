using FmriToImage.Diffusion;

namespace FmriToImage.Tests.Diffusion;

public sealed class BatchedNoiseSourceTests
{
    [Fact]
    public void Each_block_continues_its_own_stream_across_fills()
    {
        var batched = new BatchedNoiseSource([new GaussianNoiseSource(1), new GaussianNoiseSource(2)]);
        var first = new float[2 * 5];
        var second = new float[2 * 3];
        batched.Fill(first);
        batched.Fill(second);

        var one = new GaussianNoiseSource(1);
        var two = new GaussianNoiseSource(2);
        var expectedOne = new float[8];
        var expectedTwo = new float[8];
        one.Fill(expectedOne);
        two.Fill(expectedTwo);
        Assert.Equal(expectedOne[..5], first[..5]);
        Assert.Equal(expectedTwo[..5], first[5..]);
        Assert.Equal(expectedOne[5..], second[..3]);
        Assert.Equal(expectedTwo[5..], second[3..]);
        Assert.Equal(2, batched.BatchSize);
    }

    [Fact]
    public void Lengths_that_do_not_split_and_empty_stream_lists_are_refused()
    {
        var batched = new BatchedNoiseSource([new GaussianNoiseSource(1), new GaussianNoiseSource(2)]);
        Assert.Throws<ArgumentException>(() => batched.Fill(new float[3]));
        Assert.Throws<ArgumentException>(() => new BatchedNoiseSource([]));
        Assert.Throws<ArgumentException>(() => new BatchedNoiseSource([null!]));
    }
}
