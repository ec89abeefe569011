using FmriToImage.Data.Hdf5;
using FmriToImage.Imaging;

namespace FmriToImage.Data.Nsd;

/// <summary>
/// The shared test images of one subject, as MindEye evaluates them: the MindEye2-style preprocessed betas
/// (<c>betas_all_subjNN_fp32_renorm.hdf5</c>: nsdgeneral voxels, z-scored per session, one row per trial) of every
/// repetition averaged per image, and the seen images from <c>nsd_stimuli.hdf5</c>.
/// </summary>
/// <remarks>
/// The trial → image table is <c>nsddata/experiments/nsd/nsd_trials.csv</c> with the columns <c>subject</c>,
/// <c>global_trial</c> (the renorm file's row), <c>nsdId</c> and <c>shared1000</c> — what the demo world writes
/// (samples/data/nsd-mini/README.md). For the real data set, write that table from <c>nsd_expdesign.mat</c> and the
/// MindEye2 behavioural arrays.
/// </remarks>
/// <param name="ImageIds">The nsdId of each test image, ascending.</param>
/// <param name="Voxels">One row per test image: its repetitions' voxel vectors averaged.</param>
/// <param name="GroundTruth">The seen image of each test image.</param>
public sealed record NsdTestSet(int[] ImageIds, VoxelMatrix Voxels, RgbImage[] GroundTruth)
{
    /// <summary>
    /// Every repeat's voxels, one row per trial (images in <see cref="ImageIds"/> order, each image's repeats together,
    /// in trial-table order), for a caller that combines repeats itself (e.g. MindEye2's rule:
    /// <see cref="BrainDecoder.ReconstructImagesAsync"/>); null when the set was built without them.
    /// </summary>
    public VoxelMatrix? Repeats { get; init; }

    /// <summary>For each row of <see cref="Repeats"/>, the index of its image in <see cref="ImageIds"/>; null with <see cref="Repeats"/>.</summary>
    public IReadOnlyList<int>? RepeatImages { get; init; }

    /// <summary>Loads the test images of <paramref name="subject"/> from an NSD-layout root.</summary>
    /// <param name="root">The data root, e.g. samples/data/nsd-mini.</param>
    /// <param name="subject">The subject number (1 = subj01).</param>
    /// <param name="limit">Load only the first N test images (by nsdId), or null for all.</param>
    /// <returns>The test set.</returns>
    /// <exception cref="FileNotFoundException">A needed file is missing (the message names it).</exception>
    /// <exception cref="InvalidDataException">The table has no shared test trials for the subject.</exception>
    /// <exception cref="FormatException">The table lacks a column.</exception>
    public static NsdTestSet Load(string root, int subject, int? limit = null)
    {
        var renormPath = Path.Combine(root, $"betas_all_subj{subject:00}_fp32_renorm.hdf5");
        var trialsPath = Path.Combine(root, "nsddata", "experiments", "nsd", "nsd_trials.csv");
        var stimuliPath = Path.Combine(root, "nsddata_stimuli", "stimuli", "nsd", "nsd_stimuli.hdf5");
        foreach (var path in new[] { renormPath, trialsPath, stimuliPath })
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"The data folder '{root}' has no {Path.GetRelativePath(root, path)} (subject {subject:00}); expected an NSD-layout root such as samples/data/nsd-mini.", path);
            }
        }

        var lines = File.ReadLines(trialsPath).ToArray();
        var header = lines[0].Split(',');
        int Column(string name) => Array.IndexOf(header, name) is var i and >= 0 ? i : throw new FormatException($"{trialsPath}: no column '{name}'.");
        int subjectColumn = Column("subject"), globalColumn = Column("global_trial"), imageColumn = Column("nsdId"), sharedColumn = Column("shared1000");
        var byImage = lines.Skip(1)
            .Select(line => line.Split(','))
            .Where(f => int.Parse(f[subjectColumn]) == subject && f[sharedColumn] == "True")
            .GroupBy(f => int.Parse(f[imageColumn]), f => int.Parse(f[globalColumn]))
            .OrderBy(g => g.Key)
            .Take(limit ?? int.MaxValue)
            .ToArray();
        if (byImage.Length == 0)
        {
            throw new InvalidDataException($"{trialsPath}: subject {subject} has no shared test trials.");
        }

        using var renorm = Hdf5File.Open(renormPath);
        var betas = renorm.GetDataset("/betas");
        var voxels = (int)betas.Shape[1];
        var averaged = new float[byImage.Length * voxels];
        var repeatCount = byImage.Sum(g => g.Count());
        var repeats = new float[repeatCount * voxels];
        var repeatImages = new int[repeatCount];
        var r = 0;
        for (var i = 0; i < byImage.Length; i++)
        {
            var target = averaged.AsSpan(i * voxels, voxels);
            var repetitions = byImage[i].ToArray();
            foreach (var global in repetitions)
            {
                var row = repeats.AsSpan(r * voxels, voxels);
                repeatImages[r++] = i;
                betas.ReadHyperslab([global, 0], [1, voxels], [1, 1], row);
                System.Numerics.Tensors.TensorPrimitives.Add(target, row, target);
            }

            System.Numerics.Tensors.TensorPrimitives.Divide(target, repetitions.Length, target);
        }

        using var stimuli = Hdf5File.Open(stimuliPath);
        var brick = stimuli.GetDataset("/imgBrick");
        int height = (int)brick.Shape[1], width = (int)brick.Shape[2];
        var pixels = new float[height * width * 3];
        var images = byImage.Select(g =>
        {
            brick.ReadHyperslab([g.Key, 0, 0, 0], [1, height, width, 3], [1, 1, 1, 1], pixels);
            return new RgbImage(width, height, pixels.Select(v => (byte)v).ToArray());
        }).ToArray();

        return new NsdTestSet(byImage.Select(g => g.Key).ToArray(), new VoxelMatrix(averaged, byImage.Length, voxels), images)
        {
            Repeats = new VoxelMatrix(repeats, repeatCount, voxels),
            RepeatImages = repeatImages,
        };
    }
}
