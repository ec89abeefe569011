using FmriToImage.Data;
using FmriToImage.Data.Npy;
using Xunit.Abstractions;

namespace FmriToImage.Tests.Data.Fuzz;

/// <summary>
/// The NPY reader (and <see cref="TrialFile"/> on .npy) over mutants of every committed .npy fixture and the hostile one.
/// Every case must end in success or a typed <see cref="FmriToImageException"/> within
/// <see cref="FuzzHarness.CaseTimeout"/>; <see cref="FuzzHarness.ScaleVariable"/> multiplies the random cases.
/// </summary>
// Runs alone: each case has a wall-clock bound (FuzzHarness.CaseTimeout), which parallel tests would eat into.
[Collection(nameof(FmriToImage.Tests.Onnx.ProcessEnvironmentCollection))]
public class NpyFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Npy_reader()
    {
        var profile = new FuzzProfile(MaxTruncations: 400, Flips: 20, BoundaryIntegers: 10, AddressSplices: 0, HeaderBytes: 128, BigEndianToo: false);
        var seeds = DataFixtures.Files("npy", "*.npy").Append(Path.Combine(FuzzHarness.HostileFolder, "npy_declares_2e31.npy"));
        FuzzHarness.Check(output, FuzzHarness.Run("NPY", FuzzHarness.Corpus(seeds, _ => profile), ".npy", path =>
        {
            NpyHeader header;
            using (var stream = File.OpenRead(path))
            {
                header = NpyFile.ReadHeader(stream, path);
            }

            _ = NpyFile.ReadAsSingle(path);
            if (header.Shape.Length == 2 && header.Shape[1] is > 0 and < 1 << 20)
            {
                _ = TrialFile.ReadAsync(path, (int)header.Shape[1], null, limit: 2).GetAwaiter().GetResult();
            }
        }));
    }
}
