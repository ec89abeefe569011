using FmriToImage.Data.Npy;
using FmriToImage.Data.Pickle;
using Xunit.Abstractions;

namespace FmriToImage.Tests.Data.Fuzz;

/// <summary>
/// The restricted pickle reader over mutants of every pickle fixture (tests/fixtures/data/make_algonauts_fixtures.py:
/// plain dicts in protocols 2–5, numpy's object-array envelope in both module spellings, numpy integer keys, the
/// pickles that would call os.system or eval) and of the Algonauts mapping files read as a whole (.npy header, then
/// the pickle). Every case ends in success or a typed <see cref="FmriToImageException"/> within
/// <see cref="FuzzHarness.CaseTimeout"/>.
/// </summary>
// Runs alone: each case has a wall-clock bound (FuzzHarness.CaseTimeout), which parallel tests would eat into.
[Collection(nameof(FmriToImage.Tests.Onnx.ProcessEnvironmentCollection))]
public class PickleFuzzTests(ITestOutputHelper output)
{
    private static readonly FuzzProfile Profile =
        new FuzzProfile(MaxTruncations: 400, Flips: 100, BoundaryIntegers: 30, AddressSplices: 0, HeaderBytes: 64, BigEndianToo: false).Scaled(FuzzHarness.Scale);

    [Fact]
    public void Restricted_pickle_reader()
    {
        var seeds = DataFixtures.Files(Path.Combine("algonauts", "pickles"), "*.pkl");
        FuzzHarness.Check(output, FuzzHarness.Run("pickle", FuzzHarness.Corpus(seeds, _ => Profile), ".pkl", path =>
            RestrictedUnpickler.ReadIntToStringDict(File.ReadAllBytes(path), path, 0)));
    }

    [Fact]
    public void Algonauts_mapping_files()
    {
        var seeds = DataFixtures.Files(Path.Combine("algonauts", "subj01", "roi_masks"), "mapping_*.npy");
        FuzzHarness.Check(output, FuzzHarness.Run("mapping .npy", FuzzHarness.Corpus(seeds, _ => Profile with { HeaderBytes = 160 }), ".npy", path =>
        {
            var (pickle, offset) = NpyFile.ReadObjectArrayPickle(path, RestrictedUnpickler.MaxPickleBytes);
            _ = RestrictedUnpickler.ReadIntToStringDict(pickle, path, offset);
        }));
    }
}
