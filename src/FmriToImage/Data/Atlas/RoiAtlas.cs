using FmriToImage.Data.Nifti;

namespace FmriToImage.Data.Atlas;

/// <summary>
/// An integer ROI label volume (e.g. NSD's <c>prf-visualrois.nii.gz</c>) with its label table. Values ≤ 0 are
/// outside every ROI (NSD uses 0 for "not in an ROI" and −1 for "outside the brain").
/// </summary>
/// <remarks>Immutable and thread-safe.</remarks>
public sealed class RoiAtlas
{
    private readonly int[] _labels;

    /// <summary>Creates an atlas from an on-disk-ordered label volume.</summary>
    /// <param name="name">A name for messages, e.g. "prf-visualrois".</param>
    /// <param name="dimensions">(X, Y, Z).</param>
    /// <param name="labels">X·Y·Z labels, x fastest.</param>
    /// <param name="table">The label names.</param>
    /// <exception cref="ArgumentException">The label count differs from X·Y·Z.</exception>
    internal RoiAtlas(string name, (int X, int Y, int Z) dimensions, int[] labels, RoiLabelTable table)
    {
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(table);
        if ((long)dimensions.X * dimensions.Y * dimensions.Z != labels.Length)
        {
            throw new ArgumentException($"a {dimensions.X}×{dimensions.Y}×{dimensions.Z} grid needs {(long)dimensions.X * dimensions.Y * dimensions.Z} labels, got {labels.Length}", nameof(labels));
        }

        Name = name;
        Dimensions = dimensions;
        _labels = labels;
        Table = table;
    }

    /// <summary>The atlas name.</summary>
    public string Name { get; }

    /// <summary>The grid size (X, Y, Z).</summary>
    public (int X, int Y, int Z) Dimensions { get; }

    /// <summary>The label names.</summary>
    internal RoiLabelTable Table { get; }

    /// <summary>The ROI names of the label table with a positive label id, ordered by id (e.g. V1v, V1d, … hV4).</summary>
    public IReadOnlyList<string> RoiNames => [.. Table.RoiNames];

    /// <summary>The label volume, on-disk order.</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>Loads a 3-D NIfTI label volume and its label table (<c>.ctab</c> or <c>.json</c>).</summary>
    /// <param name="volumePath">The label volume (.nii or .nii.gz; 4-D files must have one volume).</param>
    /// <param name="labelTablePath">The label table.</param>
    /// <param name="name">A name for messages; defaults to the volume file name without extensions.</param>
    /// <exception cref="MalformedFileException">The volume is malformed.</exception>
    /// <exception cref="FmriToImageException">The volume is not 3-D, holds non-integer labels, or the table is malformed.</exception>
    public static RoiAtlas Load(string volumePath, string labelTablePath, string? name = null)
    {
        using var reader = NiftiReader.Open(volumePath);
        var h = reader.Header;
        if (h.VolumeCount != 1 || h.Dimensions.Count < 3)
        {
            throw new FmriToImageException($"{volumePath}: an ROI volume must be 3-D, found dimensions ({string.Join(", ", h.Dimensions)})");
        }

        var values = new float[h.VoxelsPerVolume];
        reader.ReadVolume(0, values);
        var labels = new int[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            float v = values[i];
            if (v != MathF.Round(v) || !float.IsFinite(v))
            {
                throw new FmriToImageException($"{volumePath}: voxel {i} holds {v}, not an integer label");
            }

            labels[i] = (int)v;
        }

        name ??= Path.GetFileName(volumePath).Split('.')[0];
        return new RoiAtlas(name, h.Grid, labels, RoiLabelTable.Load(labelTablePath));
    }

    /// <summary>Whether the label table names <paramref name="roi"/>.</summary>
    public bool Contains(string roi) => Table.TryGetId(roi, out _);

    /// <summary>The union of the named ROIs of this atlas.</summary>
    /// <exception cref="UnknownRoiException">A name is not in the label table (the message lists the known ones).</exception>
    public VoxelMask Mask(params string[] rois)
    {
        var ids = new HashSet<int>();
        foreach (string roi in rois)
        {
            if (!Table.TryGetId(roi, out int id))
            {
                throw new UnknownRoiException(roi, Table.RoiNames);
            }

            ids.Add(id);
        }

        var inside = new bool[_labels.Length];
        for (int i = 0; i < inside.Length; i++)
        {
            inside[i] = _labels[i] > 0 && ids.Contains(_labels[i]);
        }

        return new VoxelMask(Dimensions, inside, owned: true);
    }

    /// <summary>Every voxel with a positive label (for single-label masks such as nsdgeneral).</summary>
    public VoxelMask AnyLabel()
    {
        var inside = new bool[_labels.Length];
        for (int i = 0; i < inside.Length; i++)
        {
            inside[i] = _labels[i] > 0;
        }

        return new VoxelMask(Dimensions, inside, owned: true);
    }

    /// <summary>The union of the named ROIs found across several atlases (each name is looked up in every atlas).</summary>
    /// <exception cref="UnknownRoiException">A name is in none of the atlases (the message lists all known names).</exception>
    /// <exception cref="ArgumentException">The atlases have different grids or none is given.</exception>
    public static VoxelMask Union(IReadOnlyList<RoiAtlas> atlases, IEnumerable<string> rois)
    {
        ArgumentNullException.ThrowIfNull(atlases);
        if (atlases.Count == 0)
        {
            throw new ArgumentException("at least one atlas is needed", nameof(atlases));
        }

        VoxelMask? result = null;
        foreach (string roi in rois)
        {
            RoiAtlas owner = atlases.FirstOrDefault(a => a.Contains(roi))
                ?? throw new UnknownRoiException(roi, atlases.SelectMany(a => a.Table.RoiNames).Distinct());
            VoxelMask m = owner.Mask(roi);
            result = result is null ? m : result.Union(m);
        }

        return result ?? new VoxelMask(atlases[0].Dimensions, new bool[atlases[0]._labels.Length], owned: true);
    }
}
