using System.Text.Json;
using FmriToImage.Data;
using FmriToImage.Data.Algonauts;
using FmriToImage.Data.Atlas;
using FmriToImage.Data.Npy;
using FmriToImage.Data.Pickle;

namespace FmriToImage.Tests.Data.Algonauts;

/// <summary>
/// The Algonauts 2023 subject-folder reader against the NumPy reference of tests/fixtures/data/make_algonauts_fixtures.py
/// (a 37 + 41 vertex subject with 6 training and 3 test trials, six ROI classes with non-contiguous label ids).
/// </summary>
public sealed class AlgonautsSubjectTests : IDisposable
{
    private readonly List<string> _copies = [];

    private static readonly string Subject = DataFixtures.Path("algonauts", "subj01");

    private static JsonElement Reference { get; } =
        JsonDocument.Parse(File.ReadAllText(DataFixtures.Path("algonauts", "reference.json"))).RootElement;

    [Fact]
    public void OpensTheLayoutAndReadsTheHemisphereSizes()
    {
        var subject = AlgonautsSubject.Open(Subject);

        Assert.True(AlgonautsSubject.IsSubjectFolder(Subject));
        Assert.Equal(Reference.GetProperty("lh_vertices").GetInt32(), subject.LeftVertexCount);
        Assert.Equal(Reference.GetProperty("rh_vertices").GetInt32(), subject.RightVertexCount);
        Assert.Equal(AlgonautsSubject.KnownRoiClasses, subject.RoiClasses);
    }

    [Fact]
    public void ConcatenatesLeftThenRightAsNumpyDoes()
    {
        var subject = AlgonautsSubject.Open(Subject);

        var training = subject.ReadFmri(AlgonautsSplit.Training);
        var test = subject.ReadFmri(AlgonautsSplit.Test);

        Assert.Equal((6, 78), (training.TrialCount, training.VoxelCount));
        Assert.Equal(Expected("training_first_row"), training.Row(0).ToArray());
        Assert.Equal(Expected("test_last_row"), test.Row(test.TrialCount - 1).ToArray());
    }

    [Fact]
    public void ALimitReadsOnlyTheFirstRows()
    {
        var subject = AlgonautsSubject.Open(Subject);

        var first = subject.ReadFmri(AlgonautsSplit.Training, limit: 1);

        Assert.Equal(1, first.TrialCount);
        Assert.Equal(Expected("training_first_row"), first.Row(0).ToArray());
    }

    [Theory]
    [InlineData("Set1")]
    [InlineData("Set2")]
    [InlineData("Set3")]
    public void PresetsSelectTheVerticesOfTheNumpyReference(string name)
    {
        var subject = AlgonautsSubject.Open(Subject);
        var set = name switch { "Set1" => RoiSet.Set1, "Set2" => RoiSet.Set2, _ => RoiSet.Set3 };

        bool[] inside = subject.SelectRois(set);

        Assert.Equal(ReferenceIndices(name), Enumerable.Range(0, inside.Length).Where(i => inside[i]).ToArray());
    }

    [Fact]
    public void ACustomSetOfAnyNamesSelectsTheirVertices()
    {
        var subject = AlgonautsSubject.Open(Subject);

        bool[] inside = subject.SelectRois(new RoiSet("custom", ["hV4", "VWFA-1", "RSC"]));

        Assert.Equal(ReferenceIndices("custom"), Enumerable.Range(0, inside.Length).Where(i => inside[i]).ToArray());
    }

    [Fact]
    public void AnUnknownRoiNameIsListedWithTheNamesThatExist()
    {
        var subject = AlgonautsSubject.Open(Subject);

        var e = Assert.Throws<UnknownRoiException>(() => subject.SelectRois(new RoiSet("typo", ["V1v", "FFA1", "PPA2"])));

        Assert.Equal("FFA1, PPA2", e.Name);
        Assert.Contains("FFA-1", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ImagesCarryTheirNumberAndNsdIndexFromTheFileName()
    {
        var subject = AlgonautsSubject.Open(Subject);

        var images = subject.Images(AlgonautsSplit.Test);

        Assert.Equal([1, 2, 3], images.Select(i => i.Number));
        Assert.Equal(Reference.GetProperty("nsd_ids").GetProperty("test").EnumerateArray().Select(v => v.GetInt32()), images.Select(i => i.NsdIndex));
    }

    [Fact]
    public void HemispheresWithDifferentTrialCountsAreRefusedNamingTheFile()
    {
        string copy = CopySubject();
        NpyFile.Write<float>(Path.Combine(copy, "training_split", "training_fmri", "rh_training_fmri.npy"), new float[5 * 41], [5, 41]);

        var e = Assert.Throws<DataShapeException>(() => AlgonautsSubject.Open(copy));

        Assert.Contains("rh_training_fmri.npy", e.Message, StringComparison.Ordinal);
        Assert.Contains("6 trials", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingHemisphereFileIsNamed()
    {
        string copy = CopySubject();
        File.Delete(Path.Combine(copy, "test_split", "test_fmri", "lh_test_fmri.npy"));

        var e = Assert.Throws<FileNotFoundException>(() => AlgonautsSubject.Open(copy));

        Assert.Contains("lh_test_fmri.npy", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AMappingThatWouldRunCodeIsRefusedWithoutRunningIt()
    {
        string copy = CopySubject();
        byte[] evil = File.ReadAllBytes(DataFixtures.Path("algonauts", "pickles", "evil_p3.pkl"));
        string mapping = Path.Combine(copy, "roi_masks", "mapping_floc-faces.npy");
        var (_, offset) = NpyFile.ReadObjectArrayPickle(mapping, RestrictedUnpickler.MaxPickleBytes);
        byte[] header = File.ReadAllBytes(mapping).AsSpan(0, (int)offset).ToArray();
        File.WriteAllBytes(mapping, [.. header, .. evil]);
        var subject = AlgonautsSubject.Open(copy);

        var e = Assert.Throws<PickleFormatException>(() => subject.SelectRois(RoiSet.Set1));

        Assert.Contains("mapping_floc-faces.npy", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void LabelFilesOfTheWrongLengthAreRefused()
    {
        string copy = CopySubject();
        NpyFile.Write<long>(Path.Combine(copy, "roi_masks", "rh.streams_challenge_space.npy"), new long[40], [40]);
        var subject = AlgonautsSubject.Open(copy);

        var e = Assert.Throws<DataShapeException>(() => subject.ReadRoiClass("streams"));

        Assert.Contains("(41,)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnotherFolderIsNotASubjectFolder()
    {
        Assert.False(AlgonautsSubject.IsSubjectFolder(DataFixtures.Path("algonauts")));
        Assert.Throws<DirectoryNotFoundException>(() => AlgonautsSubject.Open(DataFixtures.Path("algonauts", "no-such-subject")));
    }

    private static float[] Expected(string key) =>
        Reference.GetProperty(key).EnumerateArray().Select(v => (float)v.GetDouble()).ToArray();

    private static int[] ReferenceIndices(string set) =>
        Reference.GetProperty("sets").GetProperty(set).EnumerateArray().Select(v => v.GetInt32()).ToArray();

    public void Dispose()
    {
        foreach (string copy in _copies)
        {
            Directory.Delete(copy, recursive: true);
        }
    }

    private string CopySubject()
    {
        string target = Path.Combine(Path.GetTempPath(), $"algonauts-{Guid.NewGuid():N}");
        foreach (string file in Directory.GetFiles(Subject, "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(target, Path.GetRelativePath(Subject, file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }

        _copies.Add(target);
        return target;
    }

    [Theory]
    [InlineData("(0, 37)")]
    [InlineData("(6, 1073741824)")]
    public void ADeclaredShapeOutsideTheLimitsIsRefusedBeforeAnythingIsAllocated(string shape)
    {
        string copy = CopySubject();
        string lh = Path.Combine(copy, "training_split", "training_fmri", "lh_training_fmri.npy");
        // A legal header declaring the shape, with no data (the reader must refuse it from the header alone).
        string dict = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}";
        string padded = dict.PadRight(((10 + dict.Length + 1 + 63) / 64 * 64) - 11) + "\n";
        File.WriteAllBytes(lh, [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0, (byte)padded.Length, 0, .. System.Text.Encoding.Latin1.GetBytes(padded)]);

        Assert.ThrowsAny<FmriToImageException>(() => AlgonautsSubject.Open(copy));
    }

    [Fact]
    public void AnImageFolderWithAnotherCountThanTheRowsIsRefused()
    {
        string copy = CopySubject();
        File.Delete(Directory.GetFiles(Path.Combine(copy, "test_split", "test_images"))[0]);

        var e = Assert.Throws<DataShapeException>(() => AlgonautsSubject.Open(copy));

        Assert.Contains("one image per fMRI row (3)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NonAsciiDigitsInAnImageNameAreRefusedWithTheTypedError()
    {
        string copy = CopySubject();
        string images = Path.Combine(copy, "test_split", "test_images");
        string first = Directory.GetFiles(images).OrderBy(f => f, StringComparer.Ordinal).First();
        File.Move(first, Path.Combine(images, "test-\u0661\u0662_nsd-00013.png"));

        Assert.Throws<DataShapeException>(() => AlgonautsSubject.Open(copy).Images(AlgonautsSplit.Test));
    }
}
