using FmriToImage.Data;
using FmriToImage.Data.Hdf5;
using Xunit.Abstractions;

namespace FmriToImage.Tests.Data.Fuzz;

/// <summary>
/// The HDF5 reader (and <see cref="TrialFile"/> on /betas) over mutants of the small seeds and every hostile file of
/// tests/fixtures/data/hostile (make_hostile_fixtures.py): link bombs and cycles, non-numeric and huge declared datasets.
/// Every case must end in success or a typed <see cref="FmriToImageException"/> within
/// <see cref="FuzzHarness.CaseTimeout"/>; <see cref="FuzzHarness.ScaleVariable"/> multiplies the random cases.
/// </summary>
// Runs alone: each case has a wall-clock bound (FuzzHarness.CaseTimeout), which parallel tests would eat into.
[Collection(nameof(FmriToImage.Tests.Onnx.ProcessEnvironmentCollection))]
public class Hdf5FuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void Hdf5_reader()
    {
        var seedProfile = new FuzzProfile(MaxTruncations: 2500, Flips: 600, BoundaryIntegers: 600, AddressSplices: 600, HeaderBytes: 4096, BigEndianToo: false);
        var hostileProfile = seedProfile with { MaxTruncations = 100, Flips = 30, BoundaryIntegers = 30, AddressSplices = 30 };
        var seeds = Directory.GetFiles(FuzzHarness.HostileFolder, "*.h5").Order(StringComparer.Ordinal);
        FuzzHarness.Check(output, FuzzHarness.Run("HDF5", FuzzHarness.Corpus(seeds, s => Path.GetFileName(s).StartsWith("seed", StringComparison.Ordinal) ? seedProfile : hostileProfile), ".h5", ReadEverything));
    }

    /// <summary>What a user of the HDF5 reader does: walk every group, attribute and dataset, read what is numeric, read /betas as trials.</summary>
    internal static void ReadEverything(string path)
    {
        using var f = Hdf5File.Open(path);
        foreach (var a in f.Root.Attributes)
        {
            _ = a.DataType.IsNumeric ? a.ReadDoubles().Length : 0;
        }

        foreach (var d in f.Root.AllDatasets())
        {
            _ = d.Attributes.Count;
            if (!d.DataType.IsNumeric)
            {
                continue;
            }

            if (d.ElementCount <= 1 << 16)
            {
                _ = d.ReadTensor();
                continue;
            }

            // Large (declared) datasets: the first element of each dimension but the last, up to 4096 of the last.
            int rank = d.Shape.Count;
            var count = new long[rank];
            for (int i = 0; i < rank; i++)
            {
                count[i] = i == rank - 1 ? Math.Min(d.Shape[i], 4096) : Math.Min(d.Shape[i], 1);
            }

            d.ReadHyperslab(new long[rank], count, [], new float[count.Aggregate(1L, (x, y) => x * y)]);
        }

        if (f.Root.ChildNames.Contains("betas") && f.GetDataset("/betas") is { Shape.Count: 2 } betas && betas.Shape[1] is > 0 and < 1 << 20 && betas.DataType.IsNumeric)
        {
            try
            {
                _ = TrialFile.ReadAsync(path, (int)betas.Shape[1], null, limit: 2).GetAwaiter().GetResult();
            }
            catch (NonFiniteValueException)
            {
                // mutated float bits: a typed, expected outcome
            }
        }
    }
}
