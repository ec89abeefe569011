namespace FmriToImage.Data.Algonauts;

/// <summary>
/// One ROI class of a subject's <c>roi_masks/</c> (e.g. <c>prf-visualrois</c>): an integer label per challenge-space
/// vertex of each hemisphere (<c>{lh,rh}.&lt;class&gt;_challenge_space.npy</c>, 0 = not in the class) and the label id →
/// ROI name table (<c>mapping_&lt;class&gt;.npy</c>).
/// </summary>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed class AlgonautsRoiClass
{
    private readonly int[] _labels;

    internal AlgonautsRoiClass(string name, IReadOnlyDictionary<int, string> mapping, int[] labels, int leftVertexCount)
    {
        Name = name;
        Mapping = mapping;
        _labels = labels;
        LeftVertexCount = leftVertexCount;
    }

    /// <summary>The class name, e.g. <c>floc-faces</c>.</summary>
    public string Name { get; }

    /// <summary>Label id → ROI name, as the mapping file holds it (id 0 is usually "Unknown").</summary>
    public IReadOnlyDictionary<int, string> Mapping { get; }

    /// <summary>How many of <see cref="Labels"/> belong to the left hemisphere (they come first).</summary>
    public int LeftVertexCount { get; }

    /// <summary>The label of every vertex, left hemisphere then right (the order of the fMRI vector).</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>The ROI names of this class, without the id-0 entry.</summary>
    public IEnumerable<string> RoiNames => Mapping.Where(p => p.Key != 0).Select(p => p.Value);

    /// <summary>Sets <paramref name="inside"/>[v] for every vertex whose label names one of <paramref name="rois"/>; returns the names found here.</summary>
    internal IEnumerable<string> Mark(IReadOnlyCollection<string> rois, Span<bool> inside)
    {
        var ids = Mapping.Where(p => p.Key != 0 && rois.Contains(p.Value)).ToArray();
        foreach (var (id, _) in ids)
        {
            for (int v = 0; v < _labels.Length; v++)
            {
                if (_labels[v] == id)
                {
                    inside[v] = true;
                }
            }
        }

        return ids.Select(p => p.Value);
    }
}
