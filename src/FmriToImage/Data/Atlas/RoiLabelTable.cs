using System.Globalization;
using System.Text.Json;
using FmriToImage.Configuration;

namespace FmriToImage.Data.Atlas;

/// <summary>
/// The names of the integer labels of an ROI volume: a FreeSurfer-style <c>.ctab</c> ("id name" per line, further
/// columns such as colours ignored, '#' comments) or a JSON object mapping ids to names (<c>{"1": "V1v", …}</c>).
/// </summary>
/// <remarks>Immutable and thread-safe.</remarks>
internal sealed class RoiLabelTable
{
    private readonly Dictionary<string, int> _byName;

    /// <summary>Creates a table from id → name pairs.</summary>
    /// <exception cref="ArgumentException">A name or id appears twice, or an id is not positive.</exception>
    public RoiLabelTable(IReadOnlyDictionary<int, string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        Names = new Dictionary<int, string>(names);
        _byName = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (id, name) in names)
        {
            if (id <= 0)
            {
                continue; // 0 = "Unknown"/background in FreeSurfer tables
            }

            if (!_byName.TryAdd(name, id))
            {
                throw new ArgumentException($"label name '{name}' appears twice (ids {_byName[name]} and {id})", nameof(names));
            }
        }
    }

    /// <summary>All id → name entries (including a 0/background entry if the file had one).</summary>
    public IReadOnlyDictionary<int, string> Names { get; }

    /// <summary>The ROI names with a positive id, ordered by id.</summary>
    public IEnumerable<string> RoiNames => _byName.OrderBy(kv => kv.Value).Select(kv => kv.Key);

    /// <summary>The id of <paramref name="name"/>, if present.</summary>
    public bool TryGetId(string name, out int id) => _byName.TryGetValue(name, out id);

    /// <summary>Loads a <c>.json</c> table or (any other extension) a <c>.ctab</c> text table.</summary>
    /// <exception cref="FmriToImageException">A line or entry cannot be parsed (message names file and line).</exception>
    public static RoiLabelTable Load(string path)
    {
        if (!path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            return ParseCtab(File.ReadAllText(path), path);
        }

        var source = Source(path);
        return Read(ConfigJson.ParseObject(ConfigJson.ReadFile(path, source), source));
    }

    /// <summary>Parses "id name" lines.</summary>
    public static RoiLabelTable ParseCtab(string text, string source)
    {
        var names = new Dictionary<int, string>();
        int lineNumber = 0;
        foreach (string raw in text.Split('\n'))
        {
            lineNumber++;
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            string[] parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2 || !int.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int id))
            {
                throw new FmriToImageException($"{source}, line {lineNumber}: expected \"<id> <name>\", found \"{line}\"");
            }

            if (!names.TryAdd(id, parts[1]))
            {
                throw new FmriToImageException($"{source}, line {lineNumber}: id {id} appears twice");
            }
        }

        return Create(names, source);
    }

    /// <summary>Parses a JSON object of id → name.</summary>
    public static RoiLabelTable ParseJson(string json, string source) => Read(ConfigJson.ParseObject(json, Source(source)));

    private static ConfigSource Source(string name) => new(name, e => new FmriToImageException($"{name}: {e.Message}", e.Inner));

    private static RoiLabelTable Read(ConfigObject root)
    {
        var names = new Dictionary<int, string>();
        foreach (var p in root.Properties)
        {
            if (!int.TryParse(p.Name, NumberStyles.Integer, CultureInfo.InvariantCulture, out int id) || p.Value.ValueKind != JsonValueKind.String)
            {
                throw root.Source.Fail($"entry \"{p.Name}\" must map an integer id to a name string");
            }

            names[id] = p.Value.GetString()!;
        }

        return Create(names, root.Source.Name);
    }

    private static RoiLabelTable Create(Dictionary<int, string> names, string source)
    {
        try
        {
            return new RoiLabelTable(names);
        }
        catch (ArgumentException e)
        {
            throw new FmriToImageException($"{source}: {e.Message}", e);
        }
    }
}
