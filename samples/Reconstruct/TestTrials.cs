using FmriToImage.Data;
using FmriToImage.Data.Hdf5;
using FmriToImage.Imaging;

namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// The shared test images of one subject from an NSD-layout root (the demo's samples/data/nsd-mini or a forge world):
/// the MindEye2-style renorm betas (nsdgeneral, z-scored per session) of every repetition, averaged per image as
/// MindEye evaluates, and the seen images from nsd_stimuli.hdf5.
/// </summary>
internal sealed record TestTrials(int[] ImageIds, VoxelMatrix Voxels, RgbImage[] GroundTruth)
{
    public static TestTrials Load(string root, int subject, int? limit)
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
        var row = new float[voxels];
        for (var i = 0; i < byImage.Length; i++)
        {
            var target = averaged.AsSpan(i * voxels, voxels);
            var repetitions = byImage[i].ToArray();
            foreach (var global in repetitions)
            {
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

        return new TestTrials(byImage.Select(g => g.Key).ToArray(), new VoxelMatrix(averaged, byImage.Length, voxels), images);
    }
}
