using BenchmarkDotNet.Attributes;
using FmriToImage.Data;

namespace FmriToImage.Benchmarks.Data;

/// <summary>Gathers 15,724 masked voxels (subj01 nsdgeneral size) from one 81×104×83 volume, in NumPy (X,Y,Z) order.</summary>
[MemoryDiagnoser]
public class MaskApplicationBenchmark
{
    private float[] _volume = [];
    private int[] _indices = [];
    private bool[] _kept = [];
    private float[] _row = [];

    [GlobalSetup]
    public void Setup()
    {
        const int n = 81 * 104 * 83;
        var random = new Random(3);
        var inside = new bool[n];
        int count = 0;
        while (count < 15724)
        {
            int i = random.Next(n);
            if (!inside[i])
            {
                inside[i] = true;
                count++;
            }
        }

        var mask = new VoxelMask((81, 104, 83), inside);
        (_indices, _kept) = VoxelSelection.All(mask).Resolve(VoxelOrder.NumpyXyz);
        _volume = Enumerable.Range(0, n).Select(i => (float)i).ToArray();
        _row = new float[_indices.Length];
    }

    [Benchmark]
    public void GatherOneVolume() => VoxelMatrix.Gather(_volume, _indices, _kept, _row);
}
