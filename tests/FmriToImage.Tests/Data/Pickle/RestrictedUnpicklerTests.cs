using FmriToImage.Data.Npy;
using FmriToImage.Data.Pickle;

namespace FmriToImage.Tests.Data.Pickle;

/// <summary>
/// The restricted pickle reader on pickles written by Python and NumPy (tests/fixtures/data/make_algonauts_fixtures.py):
/// dicts of int → str are read, in every protocol from 2 to 5 and in numpy's object-array envelope; anything else,
/// above all a pickle that would call a function (GLOBAL/REDUCE of os.system), is refused with a typed error.
/// </summary>
public sealed class RestrictedUnpicklerTests
{
    private static string Fixture(string name) => DataFixtures.Path("algonauts", "pickles", name);

    private static IReadOnlyDictionary<int, string> ReadPickle(string path) =>
        RestrictedUnpickler.ReadIntToStringDict(File.ReadAllBytes(path), path, 0);

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void ReadsAPlainDictInEveryProtocol(int protocol)
    {
        var dict = ReadPickle(Fixture($"plain_dict_p{protocol}.pkl"));

        Assert.Equal(new Dictionary<int, string> { [0] = "Unknown", [1] = "V1v", [300] = "hV4", [-2] = "négatif" }, dict);
    }

    [Fact]
    public void ReadsADictSavedByNumpy()
    {
        string path = DataFixtures.Path("algonauts", "subj01", "roi_masks", "mapping_floc-places.npy");
        var (pickle, offset) = NpyFile.ReadObjectArrayPickle(path, RestrictedUnpickler.MaxPickleBytes);

        var dict = RestrictedUnpickler.ReadIntToStringDict(pickle, path, offset);

        Assert.Equal(new Dictionary<int, string> { [0] = "Unknown", [3] = "OPA", [5] = "PPA", [7] = "RSC" }, dict);
    }

    [Theory]
    [InlineData("evil_p2.pkl")]
    [InlineData("evil_p3.pkl")]
    [InlineData("evil_p4.pkl")]
    [InlineData("evil_p5.pkl")]
    public void RefusesAPickleThatWouldCallAFunction(string name)
    {
        var e = Assert.Throws<PickleFormatException>(() => ReadPickle(Fixture(name)));

        Assert.Contains("system", e.Message, StringComparison.Ordinal);
        Assert.Contains("not allowed", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("str_keys.pkl", "int keys")]
    [InlineData("list.pkl", "a list of 2")]
    public void RefusesOtherValues(string name, string expected)
    {
        var e = Assert.Throws<PickleFormatException>(() => ReadPickle(Fixture(name)));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 0x80, 0x02, (byte)'c', (byte)'o', (byte)'s', (byte)'\n', (byte)'s', (byte)'y', (byte)'s', (byte)'t', (byte)'e', (byte)'m', (byte)'\n' }, "os.system")]
    [InlineData(new byte[] { 0x80, 0x01 }, "protocol 1")]
    [InlineData(new byte[] { 0x80, 0x03, (byte)'I', (byte)'1', (byte)'\n', (byte)'.' }, "opcode 0x49")]
    [InlineData(new byte[] { 0x80, 0x03, (byte)'}', (byte)'X', 0xFF, 0xFF, 0xFF, 0x7F }, "exceeds")]
    [InlineData(new byte[] { 0x80, 0x03, (byte)'}', (byte)'h', 0x05 }, "memo entry 5")]
    [InlineData(new byte[] { 0x80, 0x03, (byte)'t' }, "no MARK")]
    [InlineData(new byte[] { 0x80, 0x03, (byte)'}', (byte)'}', (byte)'.' }, "2 values")]
    [InlineData(new byte[] { 0x80, 0x03, (byte)'}', (byte)'N', (byte)'N', (byte)'s', (byte)'.' }, "dict key")]
    [InlineData(new byte[] { 0x80, 0x03, (byte)'}' }, "truncated")]
    [InlineData(new byte[] { }, "truncated")]
    public void RefusesMalformedAndForeignOpcodes(byte[] pickle, string expected)
    {
        var e = Assert.Throws<PickleFormatException>(() => RestrictedUnpickler.ReadIntToStringDict(pickle, "x.pkl", 0));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EveryMutantOfTheFixturesIsReadOrRefusedWithTheTypedError()
    {
        // Byte flips and truncations of every pickle fixture and a numpy mapping: success or PickleFormatException,
        // never another exception (each mutant is a few hundred bytes, so 4,000 run in well under a second).
        var seeds = Directory.GetFiles(DataFixtures.Path("algonauts", "pickles"), "*.pkl").OrderBy(f => f, StringComparer.Ordinal).ToList();
        int refused = 0, total = 0;
        foreach (string file in seeds)
        {
            byte[] original = File.ReadAllBytes(file);
            for (int seed = 0; seed < 400; seed++)
            {
                byte[] mutant = ByteMutation.Mutate(original, seed, original.Length);
                total++;
                try
                {
                    RestrictedUnpickler.ReadIntToStringDict(mutant, file, 0);
                }
                catch (PickleFormatException)
                {
                    refused++;
                }
            }

            for (int cut = 0; cut < original.Length; cut++)
            {
                total++;
                Assert.Throws<PickleFormatException>(() => RestrictedUnpickler.ReadIntToStringDict(original.AsSpan(0, cut), file, 0));
            }
        }

        Assert.True(refused > total / 10, $"only {refused} of {total} mutants were refused");
    }

    [Fact]
    public void ANumpyMappingThatIsNotAnObjectArrayIsRefusedByTheNpyReader()
    {
        string path = DataFixtures.Path("algonauts", "subj01", "roi_masks", "lh.floc-faces_challenge_space.npy");

        var e = Assert.Throws<NpyFormatException>(() => NpyFile.ReadObjectArrayPickle(path, RestrictedUnpickler.MaxPickleBytes));

        Assert.Contains("'|O'", e.Message, StringComparison.Ordinal);
    }
}
