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
    [InlineData("numpy_envelope.pkl")]
    [InlineData("numpy2_envelope.pkl")]
    public void ReadsNumpysEnvelopeInBothSpellingsOfItsModule(string name)
    {
        Assert.Equal(new Dictionary<int, string> { [1] = "V1v" }, ReadPickle(Fixture(name)));
    }

    [Fact]
    public void ReadsNumpyIntegerKeysWithTheirSign()
    {
        Assert.Equal(new Dictionary<int, string> { [1] = "V1v", [-3] = "minus", [70000] = "big" }, ReadPickle(Fixture("numpy_int_keys.pkl")));
    }

    [Fact]
    public void RefusesAnUnsignedKeyBeyondTheSigned64BitRange()
    {
        var e = Assert.Throws<PickleFormatException>(() => ReadPickle(Fixture("numpy_uint64_key.pkl")));

        Assert.Contains("u8", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("evil_eval_p4.pkl")]
    [InlineData("evil_p2.pkl")]
    [InlineData("evil_p3.pkl")]
    [InlineData("evil_p4.pkl")]
    [InlineData("evil_p5.pkl")]
    public void RefusesAPickleThatWouldCallAFunction(string name)
    {
        var e = Assert.Throws<PickleFormatException>(() => ReadPickle(Fixture(name)));

        Assert.Matches("(posix|os)\\.system|builtins\\.eval", e.Message);
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
    [InlineData(new byte[] { 0x80, 0x03, (byte)'(', (byte)'q', 0x00 }, "no value above the MARK")]
    [InlineData(new byte[] { 0x80, 0x03, (byte)'(', (byte)'c', (byte)'_', (byte)'_', (byte)'m', (byte)'a', (byte)'i', (byte)'n', (byte)'_', (byte)'_', (byte)'\n', (byte)'C', (byte)'\n', (byte)')', 0x81 }, "__main__.C")]
    [InlineData(new byte[] { 0x80, 0x03, (byte)'}', (byte)'K', 0x01, 0x8a, 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 9 }, "9 bytes")]
    public void RefusesMalformedAndForeignOpcodes(byte[] pickle, string expected)
    {
        var e = Assert.Throws<PickleFormatException>(() => RestrictedUnpickler.ReadIntToStringDict(pickle, "x.pkl", 0));

        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANegativeLong1KeyIsSignExtended()
    {
        // {-32768: 'x'}: LONG1 with two bytes 00 80.
        byte[] pickle = [0x80, 0x03, (byte)'}', 0x8a, 0x02, 0x00, 0x80, (byte)'X', 1, 0, 0, 0, (byte)'x', (byte)'s', (byte)'.'];

        Assert.Equal(new Dictionary<int, string> { [-32768] = "x" }, RestrictedUnpickler.ReadIntToStringDict(pickle, "x.pkl", 0));
    }

    [Fact]
    public void AMemoCycleIsHarmless()
    {
        // A list that contains itself, then STOP: the value is not a dict, refused without looping.
        byte[] pickle = [0x80, 0x03, (byte)']', (byte)'q', 0x00, (byte)'h', 0x00, (byte)'a', (byte)'.'];

        var e = Assert.Throws<PickleFormatException>(() => RestrictedUnpickler.ReadIntToStringDict(pickle, "x.pkl", 0));
        Assert.Contains("a list of 1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void APickleOverTheCapIsRefusedBeforeItIsRead()
    {
        var e = Assert.Throws<PickleFormatException>(() => RestrictedUnpickler.ReadIntToStringDict(new byte[RestrictedUnpickler.MaxPickleBytes + 1], "x.pkl", 0));

        Assert.Contains("at most", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANumpyMappingThatIsNotAnObjectArrayIsRefusedByTheNpyReader()
    {
        string path = DataFixtures.Path("algonauts", "subj01", "roi_masks", "lh.floc-faces_challenge_space.npy");

        var e = Assert.Throws<NpyFormatException>(() => NpyFile.ReadObjectArrayPickle(path, RestrictedUnpickler.MaxPickleBytes));

        Assert.Contains("'|O'", e.Message, StringComparison.Ordinal);
    }
}
