using FmriToImage.Data.Atlas;

namespace FmriToImage.Data.Algonauts;

/// <summary>
/// One ROI class of a subject's <c>roi_masks/</c> (e.g. <c>prf-visualrois</c>): an integer label per challenge-space
/// vertex of each hemisphere (<c>{lh,rh}.&lt;class&gt;_challenge_space.npy</c>, 0 = not in the class) and the label id →
/// ROI name table (<c>mapping_&lt;class&gt;.npy</c>), with the semantics of NSD's label tables (<see cref="RoiLabelTable"/>:
/// only positive ids are ROIs).
/// </summary>
/// <remarks>Immutable and thread-safe.</remarks>
internal sealed class AlgonautsRoiClass
{
    private readonly int[] _labels;

    internal AlgonautsRoiClass(string name, RoiLabelTable table, int[] labels, int leftVertexCount)
    {
        Name = name;
        Table = table;
        _labels = labels;
        LeftVertexCount = leftVertexCount;
    }

    /// <summary>The class name, e.g. <c>floc-faces</c>.</summary>
    public string Name { get; }

    /// <summary>Label id → ROI name, as the mapping file holds it.</summary>
    public RoiLabelTable Table { get; }

    /// <summary>How many of <see cref="Labels"/> belong to the left hemisphere (they come first).</summary>
    public int LeftVertexCount { get; }

    /// <summary>The label of every vertex, left hemisphere then right (the order of the fMRI vector).</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>Sets <paramref name="inside"/>[v] for every vertex whose label is one of <paramref name="rois"/>; returns the names found here.</summary>
    internal List<string> Mark(IEnumerable<string> rois, Span<bool> inside)
    {
        var found = new List<string>();
        foreach (string roi in rois)
        {
            if (!Table.TryGetId(roi, out int id))
            {
                continue;
            }

            found.Add(roi);
            for (int v = 0; v < _labels.Length; v++)
            {
                if (_labels[v] == id)
                {
                    inside[v] = true;
                }
            }
        }

        return found;
    }
}
