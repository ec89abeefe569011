namespace FmriToImage.Samples.Reconstruct;

/// <summary>
/// The files one trial leaves in out/trials/: &lt;key&gt;.json (written last), &lt;key&gt;.png (the chosen image),
/// &lt;key&gt;_lowlevel.png (when a low-level image exists) and &lt;key&gt;_candidate&lt;i&gt;.png per candidate. Each is
/// written whole or not at all (<see cref="AtomicFile"/>), images first, the record last.
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

    /// <summary>
    /// The stored record, or null when the trial has none or a damaged one: empty, cut short, not JSON, not a record,
    /// a field missing or null, the chosen index outside the candidates, or another trial's key (a crash before this
    /// version wrote records atomically, or a hand edit). A null record means "not done": --resume redoes the trial
    /// and writes the record anew.
    /// </summary>
    public TrialResult? ReadRecord()
    {
        if (!File.Exists(Json))
        {
            return null;
        }

        TrialResult? record;
        try
        {
            record = System.Text.Json.JsonSerializer.Deserialize<TrialResult>(File.ReadAllBytes(Json));
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            return null;
        }

        return record is { Key: { } key, Label: not null, Pipeline: not null, Candidates: { } candidates, Captions: not null }
            && key == Key
            && candidates.All(c => c is { Model: not null })
            && record.ChosenIndex >= 0 && record.ChosenIndex < candidates.Length
            ? record
            : null;
    }

    /// <summary>
    /// Whether the trial is finished: its record and every image the record names exist. A trial with a file
    /// missing counts as not done (--resume redoes it), so images are never paired with another candidate's score.
    /// </summary>
    public bool IsComplete(TrialResult? record) =>
        record is not null && File.Exists(Final) && Enumerable.Range(0, record.Candidates.Length).All(c => File.Exists(Candidate(c)));
}
