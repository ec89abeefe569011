using System.Collections;
using Microsoft.ML.OnnxRuntime;

namespace FmriToImage.Onnx;

/// <summary>
/// Values in order with what must be disposed with them (a run's outputs and the float32 copies made of its float16
/// ones, or the float16 copies made of float32 inputs). Disposing is idempotent.
/// </summary>
internal sealed class OwnedValues(IReadOnlyList<OrtValue> values, IReadOnlyList<IDisposable> owned) : IDisposableReadOnlyCollection<OrtValue>
{
    private bool _disposed;

    public int Count => values.Count;

    public OrtValue this[int index] => values[index];

    public IEnumerator<OrtValue> GetEnumerator() => values.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var item in owned)
        {
            item.Dispose();
        }
    }
}
