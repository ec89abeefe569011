using FmriToImage.Data.Hdf5;
using FsCheck.Xunit;

namespace FmriToImage.Tests.Data.Hdf5;

/// <summary>Hyperslab reads against slices of the h5py-written expected arrays (sliced here in plain C# loops).</summary>
public class Hdf5HyperslabTests
{
    private static readonly (string File, string Path)[] Targets =
    [
        ("sb0", "/contiguous"), ("sb0", "/chunked/plain"), ("sb0", "/chunked/shuffle_deflate"), ("sb0", "/chunked/many"),
        ("sb0", "/compact"), ("sb3", "/chunked/fletcher32"), ("sb3", "/chunked/many"), ("sb3", "/index/implicit"),
        ("sb3", "/index/btree2"), ("sb3", "/index/earray_many"), ("sb3", "/index/earray_gzip"), ("sb3", "/index/earray_paged"), ("sb3", "/index/single_filtered"), ("sb2", "/chunked/all_filters"), ("sb0", "/types/be_i8"),
    ];

    private static double[] Slice(double[] data, long[] shape, long[] start, long[] count, long[] stride)
    {
        int rank = shape.Length;
        long total = count.Aggregate(1L, (a, b) => a * b);
        var result = new double[total];
        var k = new long[rank];
        for (long i = 0; i < total; i++)
        {
            long rem = i;
            for (int d = rank - 1; d >= 0; d--)
            {
                k[d] = rem % count[d];
                rem /= count[d];
            }

            long flat = 0;
            for (int d = 0; d < rank; d++)
            {
                flat = (flat * shape[d]) + start[d] + (k[d] * stride[d]);
            }

            result[i] = data[flat];
        }

        return result;
    }

    [Property(MaxTest = 300)]
    public bool Random_hyperslabs_match(int seed)
    {
        var random = new Random(seed);
        var (file, path) = Targets[random.Next(Targets.Length)];
        var entry = Hdf5FileTests.Manifest[file].Datasets.Single(d => d.Path == path);
        double[] expected = Hdf5FileTests.Expected(entry.Expected);
        long[] shape = entry.Shape;
        int rank = shape.Length;
        var start = new long[rank];
        var count = new long[rank];
        var stride = new long[rank];
        for (int d = 0; d < rank; d++)
        {
            start[d] = random.Next((int)shape[d]);
            stride[d] = random.Next(1, 4);
            long max = ((shape[d] - 1 - start[d]) / stride[d]) + 1;
            count[d] = random.Next(1, (int)max + 1);
        }

        using var f = Hdf5FileTests.Open(file);
        var got = new float[count.Aggregate(1L, (a, b) => a * b)];
        f.GetDataset(path).ReadHyperslab(start, count, stride, got);
        double[] want = Slice(expected, shape, start, count, stride);
        return want.Select(v => (float)v).SequenceEqual(got);
    }

    [Fact]
    public void Nsd_voxel_time_series()
    {
        double[] expected = Hdf5FileTests.Expected("betas");
        using var f = Hdf5FileTests.Open("nsd_betas");
        Hdf5Dataset betas = f.GetDataset("/betas");
        Assert.Equal(new long[] { 750, 6, 5, 4 }, betas.Shape);
        Assert.Equal(new long[] { 750, 1, 1, 1 }, betas.ChunkShape);
        var series = new float[750];
        for (int z = 0; z < 6; z++)
        {
            for (int y = 0; y < 5; y++)
            {
                for (int x = 0; x < 4; x++)
                {
                    betas.ReadHyperslab([0, z, y, x], [750, 1, 1, 1], [], series);
                    for (int t = 0; t < 750; t++)
                    {
                        Assert.Equal((float)expected[(((((t * 6) + z) * 5) + y) * 4) + x], series[t]);
                    }
                }
            }
        }
    }

    [Fact]
    public async Task Async_read_matches()
    {
        using var f = Hdf5FileTests.Open("sb0");
        var ds = f.GetDataset("/chunked/plain");
        var buffer = new float[ds.ElementCount];
        await ds.ReadAsync(buffer);
        Assert.Equal(ds.ReadTensor().ToArray(), buffer);
    }

    [Fact]
    public void Bad_selections_throw_ArgumentException()
    {
        using var f = Hdf5FileTests.Open("sb0");
        var ds = f.GetDataset("/chunked/plain");
        Assert.Throws<ArgumentException>(() => ds.ReadHyperslab([0, 0], [1, 1], [], new float[1]));
        Assert.Throws<ArgumentException>(() => ds.ReadHyperslab([8, 0, 0], [2, 1, 1], [], new float[2]));
        Assert.Throws<ArgumentException>(() => ds.ReadHyperslab([0, 0, 0], [2, 2, 2], [], new float[7]));
        Assert.Throws<ArgumentException>(() => ds.ReadHyperslab([0, 0, 0], [6, 1, 1], [2, 1, 1], new float[6]));
    }

    [Fact]
    public void Strings_are_not_numeric_and_numbers_are_not_strings()
    {
        using var f = Hdf5FileTests.Open("sb0");
        Assert.Throws<Hdf5TypeNotNumericException>(() => f.Root.Attribute("title").ReadDoubles());
        var error = Assert.Throws<Hdf5FormatException>(() => f.Root.Attribute("answer").ReadStrings());
        Assert.Contains("attribute 'answer' is fixed-point (HDF5 class 0), 4 bytes;", error.Message);
        Assert.Contains("string was expected", error.Message);
        Assert.EndsWith("sb0.h5", error.File);
        Assert.Throws<Hdf5FormatException>(() => f.Root.Attribute("answer").ReadString());
    }
}
