using BenchmarkDotNet.Attributes;
using FmriToImage.Numerics;
using FmriToImage.Retrieval;

namespace FmriToImage.Benchmarks.Retrieval;

/// <summary>
/// Retrieval and voting kernels: cosine similarity of one query against a candidate matrix on TensorPrimitives vs a
/// scalar loop, and top-k over 100,000 × 768 candidates (MindEye's CLIP width) held in memory.
/// </summary>
[MemoryDiagnoser]
public class RetrievalBenchmarks
{
    private const int Dimension = 768;
    private float[] _query = null!;
    private float[] _candidates300 = null!;
    private float[] _scores300 = null!;
    private EmbeddingIndex _large = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        _query = Enumerable.Range(0, Dimension).Select(_ => random.NextSingle() - 0.5f).ToArray();
        _candidates300 = Enumerable.Range(0, 300 * Dimension).Select(_ => random.NextSingle() - 0.5f).ToArray();
        _scores300 = new float[300];
        var many = new float[100_000 * Dimension];
        for (var i = 0; i < many.Length; i++)
        {
            many[i] = random.NextSingle() - 0.5f;
        }

        _large = EmbeddingIndex.Create(many, Dimension);
    }

    [GlobalCleanup]
    public void Cleanup() => _large.Dispose();

    [Benchmark(Baseline = true, Description = "cosine 1×300×768, scalar loop")]
    public float ScalarCosine()
    {
        for (var r = 0; r < 300; r++)
        {
            float dot = 0, qq = 0, mm = 0;
            for (var k = 0; k < Dimension; k++)
            {
                var m = _candidates300[(r * Dimension) + k];
                dot += _query[k] * m;
                qq += _query[k] * _query[k];
                mm += m * m;
            }

            _scores300[r] = dot / MathF.Sqrt(qq * mm);
        }

        return _scores300[0];
    }

    [Benchmark(Description = "cosine 1×300×768, EmbeddingMath")]
    public float TensorPrimitivesCosine()
    {
        EmbeddingMath.CosineSimilarities(_query, _candidates300, Dimension, _scores300);
        return _scores300[0];
    }

    [Benchmark(Description = "top-10 of 100,000×768")]
    public int TopTen() => _large.TopK(_query, 10)[0].Index;
}
