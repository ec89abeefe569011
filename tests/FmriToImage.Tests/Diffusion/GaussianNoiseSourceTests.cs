using System.Text.Json;
using FmriToImage.Diffusion;
using FsCheck.Xunit;

namespace FmriToImage.Tests.Diffusion;

public sealed class GaussianNoiseSourceTests
{
    public static TheoryData<string> Seeds() => new(DdimReference.Root.GetProperty("gaussian").EnumerateArray().Select(e => e.GetProperty("seed").GetString()!));

    /// <summary>The Python re-implementation in ddim_reference.py produces the same floats, bit for bit.</summary>
    [Theory]
    [MemberData(nameof(Seeds))]
    public void Stream_is_bit_identical_to_the_independent_reference(string seed)
    {
        JsonElement e = DdimReference.Root.GetProperty("gaussian").EnumerateArray().Single(x => x.GetProperty("seed").GetString() == seed);
        float[] expected = DdimReference.Floats(e.GetProperty("first"));
        var values = new float[4096];
        new GaussianNoiseSource(ulong.Parse(seed)).Fill(values);
        Assert.Equal(expected, values[..expected.Length]);

        double mean = values.Average(v => (double)v);
        double std = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / values.Length);
        Assert.Equal(e.GetProperty("mean").GetDouble(), mean, 9);
        Assert.Equal(e.GetProperty("std").GetDouble(), std, 9);
    }

    [Fact]
    public void Same_seed_same_stream_different_seed_different_stream()
    {
        float[] a = Draw(11, 1000), b = Draw(11, 1000), c = Draw(12, 1000);
        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
        Assert.True(a.Zip(c).Count(p => p.First == p.Second) < 5);
    }

    [Fact]
    public void Moments_look_standard_normal()
    {
        float[] v = Draw(2024, 200_000);
        double mean = v.Average(x => (double)x);
        double var = v.Average(x => (x - mean) * (x - mean));
        double kurt = v.Average(x => Math.Pow(x - mean, 4)) / (var * var);
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(var, 0.98, 1.02);
        Assert.InRange(kurt, 2.9, 3.1);
        Assert.InRange(v.Count(x => Math.Abs(x) < 1) / (double)v.Length, 0.678, 0.687); // 68.27 %
    }

    [Property(MaxTest = 100)]
    public bool Stream_does_not_depend_on_how_fills_are_split(ulong seed, byte[] chunkSizes)
    {
        int total = chunkSizes.Sum(c => c);
        float[] whole = Draw(seed, total);
        var pieces = new float[total];
        var source = new GaussianNoiseSource(seed);
        int offset = 0;
        foreach (byte size in chunkSizes)
        {
            source.Fill(pieces.AsSpan(offset, size));
            offset += size;
        }

        return whole.AsSpan().SequenceEqual(pieces);
    }

    [Property(MaxTest = 500)]
    public bool Platform_independent_log_is_accurate(ulong bits)
    {
        // Any s in (0, 1), across all binades the polar method can produce.
        double s = (double)((bits >> 11) | 1) * Math.Pow(2, -53 - (int)(bits % 50));
        double expected = Math.Log(s);
        return Math.Abs(GaussianNoiseSource.Log(s) - expected) <= 4e-16 * Math.Max(1, Math.Abs(expected));
    }

    [Fact]
    public void Fixed_source_replays_in_order_and_refuses_to_run_dry()
    {
        var source = new FixedNoiseSource(new float[] { 1, 2, 3, 4, 5 });
        var a = new float[2];
        var b = new float[3];
        source.Fill(a);
        source.Fill(b);
        Assert.Equal([1f, 2f], a);
        Assert.Equal([3f, 4f, 5f], b);
        Assert.Equal(0, source.Remaining);
        var e = Assert.Throws<InvalidOperationException>(() => source.Fill(new float[1]));
        Assert.Contains("1 values requested", e.Message);
    }

    private static float[] Draw(ulong seed, int count)
    {
        var v = new float[count];
        new GaussianNoiseSource(seed).Fill(v);
        return v;
    }
}
