using System.Globalization;
using System.Text.RegularExpressions;
using FmriToImage.Data.Atlas;
using FmriToImage.Data.Npy;
using FmriToImage.Data.Pickle;

namespace FmriToImage.Data.Algonauts;

/// <summary>
/// A subject folder in the layout the Algonauts 2023 challenge distributes (<c>subj01/</c>, …): per split
/// <c>&lt;split&gt;_split/&lt;split&gt;_fmri/{lh,rh}_&lt;split&gt;_fmri.npy</c> (trials × challenge-space vertices of each
/// hemisphere) and <c>&lt;split&gt;_split/&lt;split&gt;_images/</c>, and <c>roi_masks/</c> with
/// <c>{lh,rh}.&lt;class&gt;_challenge_space.npy</c> and <c>mapping_&lt;class&gt;.npy</c>.
/// </summary>
/// <remarks>
/// <para>The fMRI vector of a trial is the left hemisphere's vertices followed by the right's
/// (<c>np.concatenate((lh, rh), axis=1)</c>, as the published student pipeline does: 19,004 + 20,544 = 39,548 for
/// subj01). <see cref="ReadFmri"/> returns that matrix; <see cref="SelectRois"/> gives the vertices of a named ROI set
/// in the same order, to zero-fill or select.</para>
/// <para>The mapping files are NumPy object arrays, i.e. Python pickles; they are read by a restricted reader that
/// accepts only a dict of int → str in numpy's envelope and never executes anything
/// (a <see cref="MalformedFileException"/> otherwise).</para>
/// <para>Immutable after <see cref="Open"/>; the read methods are thread-safe.</para>
/// </remarks>
public sealed partial class AlgonautsSubject
{
    /// <summary>The most vertices one hemisphere may have (fsaverage has 163,842; a file declaring more is refused before anything is allocated).</summary>
    public const int MaxVerticesPerHemisphere = 1 << 22;

    /// <summary>The ROI classes the challenge ships, in its order.</summary>
    public static IReadOnlyList<string> KnownRoiClasses => ChallengeClasses;

    private static readonly string[] ChallengeClasses = ["prf-visualrois", "floc-bodies", "floc-faces", "floc-places", "floc-words", "streams"];

    private AlgonautsSubject(string folder, int left, int right, IReadOnlyList<string> roiClasses)
    {
        Folder = folder;
        LeftVertexCount = left;
        RightVertexCount = right;
        RoiClasses = roiClasses;
    }

    /// <summary>The subject folder.</summary>
    public string Folder { get; }

    /// <summary>Challenge-space vertices of the left hemisphere (the first columns).</summary>
    public int LeftVertexCount { get; }

    /// <summary>Challenge-space vertices of the right hemisphere (the last columns).</summary>
    public int RightVertexCount { get; }

    /// <summary>Columns of the fMRI vector: left then right.</summary>
    public int VertexCount => LeftVertexCount + RightVertexCount;

    /// <summary>The ROI classes found in <c>roi_masks/</c> (both hemispheres' label files and the mapping present).</summary>
    public IReadOnlyList<string> RoiClasses { get; }

    /// <summary>Whether <paramref name="path"/> is a folder in this layout (it has <c>training_split/training_fmri/</c> or <c>test_split/test_fmri/</c>, and <c>roi_masks/</c>).</summary>
    public static bool IsSubjectFolder(string path) =>
        Directory.Exists(path) && Directory.Exists(Path.Combine(path, "roi_masks"))
        && (Directory.Exists(FmriFolder(path, AlgonautsSplit.Training)) || Directory.Exists(FmriFolder(path, AlgonautsSplit.Test)));

    /// <summary>Opens a subject folder: checks the layout and reads the fMRI headers (not the data).</summary>
    /// <param name="folder">The subject folder, e.g. <c>algonauts_2023_challenge_data/subj01</c>.</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A hemisphere's fMRI file of a split that has an fMRI folder is missing, or neither split has one.</exception>
    /// <exception cref="MalformedFileException">An fMRI file is malformed.</exception>
    /// <exception cref="DataShapeException">A file is not a trials × vertices matrix, the hemispheres' trial counts differ, or the splits disagree on the vertex counts.</exception>
    public static AlgonautsSubject Open(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The Algonauts subject folder '{folder}' does not exist.");
        }

        (int Left, int Right)? counts = null;
        foreach (var split in Enum.GetValues<AlgonautsSplit>())
        {
            if (!Directory.Exists(FmriFolder(folder, split)))
            {
                continue;
            }

            var (left, right, trials) = ReadShapes(folder, split);
            int images = ImageFiles(folder, split).Count;
            if (images != trials)
            {
                throw new DataShapeException(ImageFolder(folder, split), $"one image per fMRI row ({trials})", $"{images} images");
            }

            if (counts is { } c && c != (left, right))
            {
                throw new DataShapeException(FmriPath(folder, split, "lh"), $"{c.Left} + {c.Right} vertices as in the other split", $"{left} + {right}");
            }

            counts = (left, right);
        }

        if (counts is not { } found)
        {
            throw new FileNotFoundException($"'{folder}' has neither training_split/training_fmri/ nor test_split/test_fmri/; expected an Algonauts 2023 subject folder.", FmriFolder(folder, AlgonautsSplit.Training));
        }

        string masks = Path.Combine(folder, "roi_masks");
        var classes = Directory.Exists(masks)
            ? Directory.EnumerateFiles(masks, "mapping_*.npy")
                .Select(f => Path.GetFileName(f)["mapping_".Length..^".npy".Length])
                .Where(c => File.Exists(LabelPath(folder, c, "lh")) && File.Exists(LabelPath(folder, c, "rh")))
                .OrderBy(c => Array.IndexOf(ChallengeClasses, c) is var i and >= 0 ? i : int.MaxValue).ThenBy(c => c, StringComparer.Ordinal)
                .ToArray()
            : [];
        return new AlgonautsSubject(folder, found.Left, found.Right, classes);
    }

    /// <summary>Whether the split has fMRI data (the challenge first withheld the test split's).</summary>
    public bool HasFmri(AlgonautsSplit split) => Directory.Exists(FmriFolder(Folder, split));

    /// <summary>The trials of a split: hemispheres concatenated left then right, one row per image.</summary>
    /// <param name="split">Which split.</param>
    /// <param name="limit">Read only the first rows (null: all).</param>
    /// <returns>A trials × <see cref="VertexCount"/> matrix.</returns>
    /// <exception cref="FileNotFoundException">The split has no fMRI files.</exception>
    /// <exception cref="MalformedFileException">A file is malformed or truncated.</exception>
    /// <exception cref="DataShapeException">The files no longer match the shapes read at <see cref="Open"/>.</exception>
    public VoxelMatrix ReadFmri(AlgonautsSplit split, int? limit = null)
    {
        if (limit is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(limit), limit, "limit must be 0 or more");
        }

        if (!HasFmri(split))
        {
            throw new FileNotFoundException($"'{Folder}' has no {Path.GetRelativePath(Folder, FmriFolder(Folder, split))}/ (this split's fMRI).", FmriFolder(Folder, split));
        }

        var (left, right, trials) = ReadShapes(Folder, split);
        if ((left, right) != (LeftVertexCount, RightVertexCount))
        {
            throw new DataShapeException(FmriPath(Folder, split, "lh"), $"{LeftVertexCount} + {RightVertexCount} vertices", $"{left} + {right}", "the folder changed after it was opened");
        }

        int rows = Math.Min(trials, limit ?? trials);
        long total = (long)rows * VertexCount;
        if (total > Array.MaxLength)
        {
            throw new DataShapeException(FmriPath(Folder, split, "lh"), $"at most {Array.MaxLength} values in one matrix", $"{rows} trials × {VertexCount} vertices", "read fewer rows with limit");
        }

        var data = new float[total];
        CopyRows(FmriPath(Folder, split, "lh"), rows, data, 0, VertexCount);
        CopyRows(FmriPath(Folder, split, "rh"), rows, data, LeftVertexCount, VertexCount);
        return new VoxelMatrix(data, rows, VertexCount);
    }

    /// <summary>The split's images in row order (sorted by their number), with their NSD indices from the file names.</summary>
    /// <exception cref="FileNotFoundException">The split has no image folder.</exception>
    /// <exception cref="DataShapeException">A PNG in the folder is not named <c>train-NNNN_nsd-NNNNN.png</c> / <c>test-…</c>, or the numbers do not run 1, 2, 3, ….</exception>
    public IReadOnlyList<AlgonautsImage> Images(AlgonautsSplit split)
    {
        string prefix = split == AlgonautsSplit.Training ? "train" : "test";
        var images = new List<AlgonautsImage>();
        foreach (string file in ImageFiles(Folder, split))
        {
            var match = ImageName().Match(Path.GetFileName(file));
            if (!match.Success || match.Groups["split"].Value != prefix
                || !int.TryParse(match.Groups["number"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int number)
                || !int.TryParse(match.Groups["nsd"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int nsd))
            {
                throw new DataShapeException(file, $"a file name like {prefix}-0001_nsd-00013.png", Path.GetFileName(file));
            }

            images.Add(new AlgonautsImage(file, number, nsd));
        }

        images.Sort((a, b) => a.Number.CompareTo(b.Number));
        for (int i = 0; i < images.Count; i++)
        {
            if (images[i].Number != i + 1)
            {
                throw new DataShapeException(images[i].Path, $"image number {i + 1} (numbers run 1, 2, 3, … with one image each)", images[i].Number.ToString(CultureInfo.InvariantCulture));
            }
        }

        return images;
    }

    /// <summary>Reads one ROI class: both hemispheres' labels and its id → name mapping.</summary>
    /// <param name="name">A class of <see cref="RoiClasses"/>, e.g. <c>floc-faces</c>.</param>
    /// <exception cref="ArgumentException">The class is not in <see cref="RoiClasses"/>.</exception>
    /// <exception cref="PickleFormatException">The mapping holds anything but a dict of int → str.</exception>
    /// <exception cref="NpyFormatException">A file is malformed.</exception>
    /// <exception cref="DataShapeException">A label file's length differs from its hemisphere's vertex count, or a label is not an integer.</exception>
    internal AlgonautsRoiClass ReadRoiClass(string name)
    {
        if (!RoiClasses.Contains(name))
        {
            throw new ArgumentException($"'{name}' is not an ROI class of '{Folder}'; found: {string.Join(", ", RoiClasses)}", nameof(name));
        }

        string mappingPath = Path.Combine(Folder, "roi_masks", $"mapping_{name}.npy");
        var (pickle, offset) = NpyFile.ReadObjectArrayPickle(mappingPath, RestrictedUnpickler.MaxPickleBytes);
        var mapping = RestrictedUnpickler.ReadIntToStringDict(pickle, mappingPath, offset);
        RoiLabelTable table;
        try
        {
            table = new RoiLabelTable(mapping);
        }
        catch (ArgumentException e)
        {
            throw new DataShapeException(mappingPath, "one id per ROI name", e.Message);
        }

        CheckLabelHeader(LabelPath(Folder, name, "lh"), LeftVertexCount);
        CheckLabelHeader(LabelPath(Folder, name, "rh"), RightVertexCount);
        var labels = new int[VertexCount];
        ReadLabels(LabelPath(Folder, name, "lh"), labels.AsSpan(0, LeftVertexCount));
        ReadLabels(LabelPath(Folder, name, "rh"), labels.AsSpan(LeftVertexCount));
        return new AlgonautsRoiClass(name, table, labels, LeftVertexCount);
    }

    /// <summary>
    /// The vertices of <paramref name="set"/>'s ROIs, looked up by name in every ROI class of the folder: a flag per
    /// column of the fMRI vector (left then right). Zero-fill keeps every column and zeroes those outside; selection
    /// keeps only the flagged columns — whichever the bundle's encoder declares.
    /// </summary>
    /// <exception cref="UnknownRoiException">ROIs of the set are in no class; the message lists every missing name and the names that exist.</exception>
    /// <exception cref="MalformedFileException">A label or mapping file is malformed, or a mapping holds anything but a dict of int → str.</exception>
    /// <exception cref="DataShapeException">A label file does not fit its hemisphere, or a mapping names one ROI twice.</exception>
    public bool[] SelectRois(RoiSet set)
    {
        ArgumentNullException.ThrowIfNull(set);
        var inside = new bool[VertexCount];
        var found = new HashSet<string>(StringComparer.Ordinal);
        var known = new List<string>();
        foreach (string name in RoiClasses)
        {
            var roiClass = ReadRoiClass(name);
            known.AddRange(roiClass.Table.RoiNames);
            found.UnionWith(roiClass.Mark(set.Rois, inside));
        }

        var missing = set.Rois.Where(r => !found.Contains(r)).Distinct().ToArray();
        if (missing.Length > 0)
        {
            throw new UnknownRoiException(
                string.Join(", ", missing),
                RoiClasses.Count == 0 ? [$"none: '{Path.Combine(Folder, "roi_masks")}' has no ROI class (mapping_<class>.npy with both hemispheres' label files)"] : known.Distinct());
        }

        return inside;
    }

    private static string SplitName(AlgonautsSplit split) => split == AlgonautsSplit.Training ? "training" : "test";

    private static string FmriFolder(string folder, AlgonautsSplit split) =>
        Path.Combine(folder, $"{SplitName(split)}_split", $"{SplitName(split)}_fmri");

    private static string ImageFolder(string folder, AlgonautsSplit split) =>
        Path.Combine(folder, $"{SplitName(split)}_split", $"{SplitName(split)}_images");

    /// <summary>The PNG files of a split's image folder (any case of the extension; dot-files such as macOS's <c>._*</c> skipped).</summary>
    private static List<string> ImageFiles(string folder, AlgonautsSplit split)
    {
        string images = ImageFolder(folder, split);
        if (!Directory.Exists(images))
        {
            throw new FileNotFoundException($"The Algonauts subject folder '{folder}' has no {Path.GetRelativePath(folder, images)}/ (the images of its fMRI rows).", images);
        }

        return Directory.EnumerateFiles(images)
            .Where(f => Path.GetExtension(f).Equals(".png", StringComparison.OrdinalIgnoreCase) && !Path.GetFileName(f).StartsWith('.'))
            .ToList();
    }

    private static string FmriPath(string folder, AlgonautsSplit split, string hemisphere) =>
        Path.Combine(FmriFolder(folder, split), $"{hemisphere}_{SplitName(split)}_fmri.npy");

    private static string LabelPath(string folder, string roiClass, string hemisphere) =>
        Path.Combine(folder, "roi_masks", $"{hemisphere}.{roiClass}_challenge_space.npy");

    private static (int Left, int Right, int Trials) ReadShapes(string folder, AlgonautsSplit split)
    {
        var (lTrials, left) = MatrixShape(FmriPath(folder, split, "lh"));
        var (rTrials, right) = MatrixShape(FmriPath(folder, split, "rh"));
        if (lTrials != rTrials)
        {
            throw new DataShapeException(FmriPath(folder, split, "rh"), $"{lTrials} trials as in lh_{SplitName(split)}_fmri.npy", $"{rTrials}");
        }

        return (left, right, lTrials);
    }

    private static (int Trials, int Vertices) MatrixShape(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The Algonauts subject folder lacks '{path}'.", path);
        }

        var shape = NpyFile.ReadHeader(path).Shape;
        return shape.Length == 2 && shape[0] is >= 1 and <= int.MaxValue && shape[1] is >= 1 and <= MaxVerticesPerHemisphere
            ? ((int)shape[0], (int)shape[1])
            : throw new DataShapeException(path, $"(trials ≥ 1, 1 to {MaxVerticesPerHemisphere} vertices)", $"({string.Join(", ", shape)})");
    }

    /// <summary>Copies the first <paramref name="rows"/> rows of a C-order matrix file into columns [<paramref name="column"/>, …) of <paramref name="destination"/>.</summary>
    private static void CopyRows(string path, int rows, float[] destination, int column, int stride)
    {
        using var stream = File.OpenRead(path);
        var header = NpyFile.ReadHeader(stream, path);
        int width = (int)header.Shape[1];
        if (header.FortranOrder)
        {
            // Rare for these files; read whole and copy.
            stream.Position = 0;
            var all = NpyFile.ReadAsSingle(stream, path);
            var flat = new float[all.FlattenedLength];
            all.FlattenTo(flat);
            for (int r = 0; r < rows; r++)
            {
                flat.AsSpan(r * width, width).CopyTo(destination.AsSpan((r * stride) + column, width));
            }

            return;
        }

        var bytes = new byte[width * header.ElementSize];
        for (int r = 0; r < rows; r++)
        {
            if (stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false) < bytes.Length)
            {
                throw new NpyFormatException(path, stream.Position, $"truncated data at row {r} of {rows}");
            }

            ElementConverter.ToSingle(bytes, header.DataType, header.IsBigEndian, destination.AsSpan((r * stride) + column, width));
        }
    }

    private static void CheckLabelHeader(string path, int vertices)
    {
        var shape = NpyFile.ReadHeader(path).Shape;
        if (shape is not [var length] || length != vertices)
        {
            throw new DataShapeException(path, $"({vertices},) labels, one per vertex of the hemisphere", $"({string.Join(", ", shape)})");
        }
    }

    private static void ReadLabels(string path, Span<int> labels)
    {
        var values = NpyFile.ReadAsSingle(path);
        int i = 0;
        foreach (float value in values)
        {
            // Labels are small integers; float32 holds every integer up to 2^24 exactly.
            if (!float.IsFinite(value) || value != MathF.Round(value) || MathF.Abs(value) > 1 << 24)
            {
                throw new DataShapeException(path, "integer ROI labels", $"{value.ToString(CultureInfo.InvariantCulture)} at vertex {i}");
            }

            labels[i++] = (int)value;
        }
    }

    [GeneratedRegex(@"^(?<split>train|test)-(?<number>[0-9]{1,9})_nsd-(?<nsd>[0-9]{1,9})\.(?i:png)$", RegexOptions.CultureInvariant)]
    private static partial Regex ImageName();
}
