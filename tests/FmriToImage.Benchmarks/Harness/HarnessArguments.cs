using System.Globalization;

namespace FmriToImage.Benchmarks.Harness;

/// <summary><c>--name value</c> pairs of a harness command line; an unknown or malformed option fails naming it.</summary>
internal sealed class HarnessArguments
{
    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public HarnessArguments(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                throw new ArgumentException($"Harness arguments are '--name value' pairs; '{args[i]}' is not followed by a value or is not an option.");
            }

            _values[args[i][2..]] = args[i + 1];
        }
    }

    public string Text(string name, string fallback)
    {
        _read.Add(name);
        return _values.GetValueOrDefault(name, fallback);
    }

    public int Integer(string name, int fallback)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var text)
            ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : throw new ArgumentException($"--{name} must be an integer, not '{text}'.")
            : fallback;
    }

    /// <summary>
    /// <c>--name key=value,key=value</c> (ONNX Runtime session config entries) as a dictionary; empty when absent; an
    /// entry without '=' fails naming it.
    /// </summary>
    public Dictionary<string, string> Entries(string name) =>
        Text(name, "").Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(e => e.Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length == 2 ? p[1] : throw new ArgumentException($"--{name} entries are key=value, not '{p[0]}'."), StringComparer.Ordinal);

    /// <summary>Fails naming every option that no getter asked for (a typo must not silently run the defaults).</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToArray();
        if (unknown.Length > 0)
        {
            throw new ArgumentException($"Unknown harness option(s): {string.Join(", ", unknown.Select(u => "--" + u))}.");
        }
    }
}
