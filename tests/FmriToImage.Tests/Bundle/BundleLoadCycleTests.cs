using FmriToImage.Tests.Onnx;

namespace FmriToImage.Tests.Bundle;

// Runs alone (a non-parallel collection), as the ONNX Runtime leak test: other tests allocating native memory at the
// same time inflate the resident size this test measures.
[Collection(nameof(ProcessEnvironmentCollection))]
public sealed class BundleLoadCycleTests
{
    // Each load opens the tiny bundle's 11 sessions, hashes and walks its 26 files and reads its configs; a leak of any
    // of those per cycle (a session, a file handle, a config document) would grow the process by far more over 500
    // cycles. The bound leaves room for allocator caching and runtime noise only.
    private const long GrowthBoundBytes = 64L * 1024 * 1024;

    [Fact]
    public void Five_hundred_load_dispose_cycles_keep_resident_memory_bounded()
    {
        var bundle = TestFiles.Fixture("bundle", "tiny");
        var options = new BrainDecoderOptions { IntraOpThreads = 1 }; // one thread per session: the cycle, not thread start-up, is measured
        for (var i = 0; i < 20; i++)
        {
            BrainDecoder.Load(bundle, options).Dispose(); // warm-up: allocator caches, JIT
        }

        var before = ResidentMemory.Bytes();
        for (var i = 0; i < 500; i++)
        {
            BrainDecoder.Load(bundle, options).Dispose();
        }

        var after = ResidentMemory.Bytes();
        Assert.True(after - before < GrowthBoundBytes, $"resident memory grew by {(after - before) / 1024.0 / 1024.0:F1} MB over 500 load/dispose cycles (bound {GrowthBoundBytes / 1024 / 1024} MB)");
    }
}
