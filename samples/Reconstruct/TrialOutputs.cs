namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// The files one trial leaves in out/trials/: &lt;key&gt;.json (written last), &lt;key&gt;.png (the chosen image),
/// &lt;key&gt;_lowlevel.png (when a low-level image exists) and &lt;key&gt;_candidate&lt;i&gt;.png per candidate.
/// </summary>
/// <param name="Folder">The trials folder.</param>
/// <param name="Key">The trial's key (nsd-&lt;nsdId&gt; or row-&lt;row&gt;).</param>
internal sealed record TrialOutputs(string Folder, string Key)
{
    /// <summary>The trial's record.</summary>
    public string Json => Path.Combine(Folder, $"{Key}.json");

    /// <summary>The chosen image.</summary>
    public string Final => Path.Combine(Folder, $"{Key}.png");

    /// <summary>The chosen model's low-level image (absent when the pipeline made none).</summary>
    public string LowLevel => Path.Combine(Folder, $"{Key}_lowlevel.png");

    /// <summary>Candidate <paramref name="index"/>'s image.</summary>
    public string Candidate(int index) => Path.Combine(Folder, $"{Key}_candidate{index}.png");

    /// <summary>The stored record, or null when the trial has none yet.</summary>
    public TrialResult? ReadRecord() =>
        File.Exists(Json) ? System.Text.Json.JsonSerializer.Deserialize<TrialResult>(File.ReadAllText(Json)) : null;

    /// <summary>
    /// Whether the trial is finished: its record and every image the record names exist. A trial with a file
    /// missing counts as not done (--resume redoes it), so images are never paired with another candidate's score.
    /// </summary>
    public bool IsComplete(TrialResult? record) =>
        record is not null && File.Exists(Final) && Enumerable.Range(0, record.Candidates.Length).All(c => File.Exists(Candidate(c)));
}
