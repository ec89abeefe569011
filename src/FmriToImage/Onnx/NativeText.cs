using System.Text;

namespace FmriToImage.Onnx;

/// <summary>NUL-terminated strings for the C API.</summary>
internal static class NativeText
{
    /// <summary>UTF-8 bytes of <paramref name="text"/> followed by a NUL.</summary>
    public static byte[] Utf8(string text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return bytes;
    }

    /// <summary>
    /// UTF-8, NUL-terminated strings in one array on the pinned object heap, so their addresses never change: for names
    /// passed on every run without marshalling.
    /// </summary>
    public static (byte[] Block, int[] Offsets) PinnedUtf8Block(IReadOnlyList<string> texts)
    {
        var offsets = new int[texts.Count];
        var total = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            offsets[i] = total;
            total += Encoding.UTF8.GetByteCount(texts[i]) + 1;
        }

        var block = GC.AllocateArray<byte>(Math.Max(total, 1), pinned: true);
        for (var i = 0; i < texts.Count; i++)
        {
            Encoding.UTF8.GetBytes(texts[i], block.AsSpan(offsets[i]));
        }

        return (block, offsets);
    }
}
