using System.Globalization;

namespace FmriToImage.Benchmarks.Harness;

/// <summary><c>--name value</c> pairs of a harness command line; an unknown or malformed option fails naming it.</summary>
internal sealed class HarnessArguments
{
    private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);
    private readonly HashSet<string> read = new(StringComparer.Ordinal);

    public HarnessArguments(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                throw new ArgumentException($"Harness arguments are '--name value' pairs; '{args[i]}' is not followed by a value or is not an option.");
            }

            values[args[i][2..]] = args[i + 1];
        }
    }

    public string Text(string name, string fallback)
    {
        read.Add(name);
        return values.GetValueOrDefault(name, fallback);
    }

    public int Integer(string name, int fallback)
    {
        read.Add(name);
        return values.TryGetValue(name, out var text)
            ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var value) ? value : throw new ArgumentException($"--{name} must be an integer, not '{text}'.")
            : fallback;
    }

    /// <summary>Fails naming every option that no getter asked for (a typo must not silently run the defaults).</summary>
    public void RejectUnknown()
    {
        var unknown = values.Keys.Where(k => !read.Contains(k)).ToArray();
        if (unknown.Length > 0)
        {
            throw new ArgumentException($"Unknown harness option(s): {string.Join(", ", unknown.Select(u => "--" + u))}.");
        }
    }
}
