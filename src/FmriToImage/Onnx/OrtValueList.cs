namespace FmriToImage.Onnx;

/// <summary>
/// Values ONNX Runtime allocated for a run's outputs, in the order requested, with their names. Disposing the list
/// disposes every value in it.
/// </summary>
public sealed class OrtValueList : IReadOnlyList<OrtValue>, IDisposable
{
    private readonly OrtValue[] values;
    private readonly string[] names;

    internal OrtValueList(string[] names, OrtValue[] values)
    {
        this.names = names;
        this.values = values;
    }

    /// <summary>The output names, parallel to the values.</summary>
    public IReadOnlyList<string> Names => names;

    /// <inheritdoc />
    public int Count => values.Length;

    /// <inheritdoc />
    public OrtValue this[int index] => values[index];

    /// <summary>The value of output <paramref name="name"/>.</summary>
    /// <param name="name">An output name that was requested.</param>
    /// <exception cref="KeyNotFoundException">No output of that name was requested.</exception>
    public OrtValue this[string name]
    {
        get
        {
            var index = Array.IndexOf(names, name);
            return index >= 0
                ? values[index]
                : throw new KeyNotFoundException($"No output named '{name}' in this result; it holds: {string.Join(", ", names)}.");
        }
    }

    /// <inheritdoc />
    public IEnumerator<OrtValue> GetEnumerator() => ((IEnumerable<OrtValue>)values).GetEnumerator();

    /// <inheritdoc />
    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => values.GetEnumerator();

    /// <summary>Disposes every value. Idempotent.</summary>
    public void Dispose()
    {
        foreach (var value in values)
        {
            value?.Dispose();
        }
    }
}
